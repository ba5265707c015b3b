using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Cluster;

/// <summary>
/// The bus across front ends: Redis pub/sub on one channel. A change is raised here at once and published for the
/// others; each ignores its own messages coming back. Pub/sub keeps nothing for a subscriber that was away, so when
/// the connection comes back every run that was live or finished meanwhile is read again from the database and
/// raised (and pushed to the hub's watchers): pages and watchers catch up whatever they missed.
/// </summary>
public sealed class RedisRunUpdateBus : IRunUpdateBus, IDisposable
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("runs") /* under the prefix webgen: */;

    private readonly Guid origin = Guid.NewGuid();
    private readonly IConnectionMultiplexer redis;
    private readonly IDbContextFactory<WebGenDb> dbFactory;
    private readonly IHubContext<RunsHub, IRunsClient> hub;
    private readonly ILogger<RedisRunUpdateBus> logger;
    private readonly Lock outage = new();
    private DateTime? lostSinceUtc;

    public RedisRunUpdateBus(IConnectionMultiplexer redis, IDbContextFactory<WebGenDb> dbFactory, IHubContext<RunsHub, IRunsClient> hub,
        ILogger<RedisRunUpdateBus> logger)
    {
        (this.redis, this.dbFactory, this.hub, this.logger) = (redis, dbFactory, hub, logger);
        redis.GetSubscriber().Subscribe(Channel, (_, message) => Deliver(message));
        redis.ConnectionFailed += Lost;
        redis.ConnectionRestored += Restored;
    }

    public event Action<RunState>? Received;

    public async Task PublishAsync(RunState state, CancellationToken cancellationToken = default)
    {
        Received?.Invoke(state);
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(new Message(origin, state), WebGenJson.Options));
        }
        catch (RedisException e)
        {
            // Stored already: the other front ends read it again when Redis is back.
            logger.LogWarning("Run {Run} version {Version} not published to the other front ends: {Reason}", state.Id, state.Version, e.Message);
        }
    }

    private void Deliver(RedisValue message)
    {
        try
        {
            if (JsonSerializer.Deserialize<Message>(message.ToString(), WebGenJson.Options) is { } m && m.Origin != origin)
                Received?.Invoke(m.State);
        }
        catch (JsonException e)
        {
            logger.LogWarning("Ignored a message on {Channel} that is not a run's state: {Reason}", Channel, e.Message);
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
        _ = CatchUpAsync(since);
    }

    /// <summary>Raises (and pushes) the stored state of every run live now or finished since <paramref name="sinceUtc"/>.</summary>
    private async Task CatchUpAsync(DateTime sinceUtc)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var runs = await db.Runs.AsNoTracking()
                .Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running || r.FinishedUtc >= sinceUtc)
                .ToListAsync();
            foreach (var state in runs.Select(r => r.ToState()))
            {
                Received?.Invoke(state);
                await hub.Clients.Group(RunsHub.Group(state.Id)).RunUpdated(state);
            }
            logger.LogInformation("Redis is back: {Count} runs read again from the database for their watchers", runs.Count);
        }
        catch (Exception e) when (e is DbException or RedisException or InvalidOperationException)
        {
            logger.LogWarning("Catching up after Redis came back failed: {Reason}", e.Message);
        }
    }

    public void Dispose()
    {
        redis.ConnectionFailed -= Lost;
        redis.ConnectionRestored -= Restored;
    }

    private sealed record Message(Guid Origin, RunState State);
}
