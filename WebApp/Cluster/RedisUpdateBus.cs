using System.Text.Json;
using StackExchange.Redis;
using WebGen.Shared;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Cluster;

/// <summary>
/// The bus across front ends and workers: Redis pub/sub on one channel. A change is raised here at once and published
/// for the others; each ignores its own messages coming back, and anything on the channel that is not a run's or a
/// review's state. Pub/sub keeps nothing for a subscriber that was away: <see cref="Resumed"/> says since when updates
/// may have been missed (<see cref="CatchUp"/> reads those runs and reviews again from the database).
/// </summary>
public sealed class RedisUpdateBus : IUpdateBus, IDisposable
{
    /// <summary>The channel, under the prefix "webgen:" every WebGen key and channel in Redis has.</summary>
    public static readonly RedisChannel Channel = RedisChannel.Literal("runs");

    private readonly Guid origin = Guid.NewGuid();
    private readonly IConnectionMultiplexer redis;
    private readonly ILogger<RedisUpdateBus> logger;
    private readonly Lock outage = new();
    private DateTime? lostSinceUtc;

    public RedisUpdateBus(IConnectionMultiplexer redis, ILogger<RedisUpdateBus> logger)
    {
        (this.redis, this.logger) = (redis, logger);
        try
        {
            redis.GetSubscriber().Subscribe(Channel, (_, message) => Deliver(message));
        }
        catch (RedisException e)
        {
            // Registered all the same: the connection subscribes when Redis answers. Until then this front end's
            // pages see only its own runs' changes.
            lostSinceUtc = DateTime.UtcNow;
            logger.LogWarning("Redis does not answer ({Reason}): other front ends' run updates wait until it does", e.Message);
        }
        redis.ConnectionFailed += Lost;
        redis.ConnectionRestored += Restored;
    }

    public event Action<RunState>? Received;

    public event Action<ReviewState>? ReviewReceived;

    /// <summary>Raised when the subscription is back after an outage, with when it was lost.</summary>
    public event Action<DateTime>? Resumed;

    public Task PublishAsync(RunState state, CancellationToken cancellationToken = default)
    {
        Received?.Invoke(state);
        return SendAsync(new Message(origin, state, null), $"Run {state.Id} version {state.Version}");
    }

    public Task PublishAsync(ReviewState review, CancellationToken cancellationToken = default)
    {
        ReviewReceived?.Invoke(review);
        return SendAsync(new Message(origin, null, review), $"Review {review.Id} ({review.Status})");
    }

    private async Task SendAsync(Message message, string what)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(message, WebGenJson.Options));
        }
        catch (RedisException e)
        {
            // Stored already: the other front ends read it again when Redis is back.
            logger.LogWarning("{What} not published to the other processes: {Reason}", what, e.Message);
        }
    }

    /// <summary>Raises a state read again from the database on this process only (each front end catches up itself).</summary>
    public void Redeliver(RunState state) => Received?.Invoke(state);

    /// <summary>Raises a review read again from the database on this process only.</summary>
    public void Redeliver(ReviewState review) => ReviewReceived?.Invoke(review);

    private void Deliver(RedisValue message)
    {
        try
        {
            switch (JsonSerializer.Deserialize<Message>(message.ToString(), WebGenJson.Options))
            {
                case { State: { Options: not null } state } m when m.Origin != origin:
                    Received?.Invoke(state);
                    break;
                case { Review: { Student: not null, FileName: not null, Format: not null, Comment: not null } review } m when m.Origin != origin:
                    ReviewReceived?.Invoke(review);
                    break;
            }
        }
        catch (JsonException e)
        {
            logger.LogWarning("Ignored a message on {Channel} that is not a run's or a review's state: {Reason}", Channel, e.Message);
        }
    }

    private void Lost(object? sender, ConnectionFailedEventArgs e)
    {
        lock (outage)
            lostSinceUtc ??= DateTime.UtcNow;
        logger.LogWarning("Redis connection lost ({Failure}): other front ends' run updates wait until it is back", e.FailureType);
    }

    private void Restored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription)
            return; // the subscription is what carries updates in
        DateTime since;
        lock (outage)
        {
            if (lostSinceUtc is null)
                return;
            (since, lostSinceUtc) = (lostSinceUtc.Value, null);
        }
        Resumed?.Invoke(since);
    }

    public void Dispose()
    {
        redis.ConnectionFailed -= Lost;
        redis.ConnectionRestored -= Restored;
        redis.GetSubscriber().Unsubscribe(Channel);
    }

    private sealed record Message(Guid Origin, RunState? State, ReviewState? Review);
}
