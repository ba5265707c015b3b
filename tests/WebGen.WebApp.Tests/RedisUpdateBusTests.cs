using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using WebGen.Shared;
using WebGen.WebApp.Cluster;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The run-update bus between two front ends (two buses, each on its own connection) over a real Redis server.</summary>
public sealed class RedisUpdateBusTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AStatePublishedOnOneFrontEnd_IsReceivedOnceOnEach()
    {
        await using var a = await BusAsync();
        await using var b = await BusAsync();
        var onA = a.Collect();
        var onB = b.Collect();
        var state = State(version: 7);

        await b.Bus.PublishAsync(state);
        await onA.WaitForAsync(1);
        await Task.Delay(200); // time for an echo of B's own message to arrive, were it not ignored

        Assert.Equal(new[] { (state.Id, 7L), (state.Id, 7L) }, onA.Ids.Concat(onB.Ids));
    }

    [Fact]
    public async Task AReviewPublishedByAWorker_IsReceivedOnEachFrontEnd_AsAReviewNotARun()
    {
        await using var worker = await BusAsync();
        await using var frontEnd = await BusAsync();
        var runs = frontEnd.Collect();
        var reviews = new List<ReviewState>();
        frontEnd.Bus.ReviewReceived += review => { lock (reviews) reviews.Add(review); };
        var review = new ReviewState(Guid.NewGuid(), "Ada", ModelKind.Ssvae, 1, "ssvae.pt", 4_000_000, "WebGen", 64, null,
            ReviewStatus.Done, new RunMetrics(null, 0.93), null, "", DateTime.UtcNow, DateTime.UtcNow);

        await worker.Bus.PublishAsync(review);
        using var timeout = new CancellationTokenSource(Patience);
        while (reviews.Count == 0)
            await Task.Delay(20, timeout.Token);
        await Task.Delay(200); // time for a run-state reading of the same message to arrive, were there one

        var received = Assert.Single(reviews);
        Assert.Equal((review.Id, ReviewStatus.Done, 0.93, 1.0), (received.Id, received.Status, received.Metrics!.Accuracy, received.SsvaeGenWeight));
        Assert.Empty(runs.Ids);
    }

    [Fact]
    public async Task MessagesOnTheChannelThatAreNotARunsState_AreIgnored()
    {
        await using var a = await BusAsync();
        await using var b = await BusAsync();
        var onA = a.Collect();
        var reviewsOnA = 0;
        a.Bus.ReviewReceived += _ => Interlocked.Increment(ref reviewsOnA);
        var channel = RedisChannel.Literal("webgen:" + RedisUpdateBus.Channel);
        string[] junk = ["not json", "{\"origin\":\"x\"}", new string('[', 100_000), "{\"origin\":null,\"state\":{\"id\":42}}",
            $"{{\"origin\":\"{Guid.NewGuid()}\"}}", $"{{\"origin\":\"{Guid.NewGuid()}\",\"state\":{{\"id\":\"{Guid.NewGuid()}\"}}}}",
            $"{{\"origin\":\"{Guid.NewGuid()}\",\"review\":{{\"id\":\"{Guid.NewGuid()}\"}}}}", $"{{\"origin\":\"{Guid.NewGuid()}\",\"review\":{{\"status\":\"bogus\"}}}}"];
        foreach (var message in junk)
            await a.Redis.GetSubscriber().PublishAsync(channel, message);

        var state = State(version: 1);
        await b.Bus.PublishAsync(state);
        await onA.WaitForAsync(1);

        Assert.Equal(new[] { (state.Id, 1L) }, onA.Ids);
        Assert.Equal(0, reviewsOnA);
    }

    [Fact]
    public async Task AfterRedisRestarts_TheBusSaysSinceWhenUpdatesMayBeMissing_AndCarriesUpdatesAgain()
    {
        await using var a = await BusAsync();
        await using var b = await BusAsync();
        var resumed = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.Bus.Resumed += since => resumed.TrySetResult(since);
        var onA = a.Collect();
        var beforeStop = DateTime.UtcNow;

        await redis.StopAsync();
        await redis.StartAsync();
        var since = await resumed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitConnectedAsync(b.Redis);
        var state = State(version: 3);
        await b.Bus.PublishAsync(state);
        await onA.WaitForAsync(1);

        Assert.InRange(since, beforeStop, DateTime.UtcNow);
    }

    private static async Task WaitConnectedAsync(IConnectionMultiplexer connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!connection.IsConnected)
            await Task.Delay(50, timeout.Token);
        await Task.Delay(500, timeout.Token); // its subscription is made again just after
    }

    private async Task<FrontEnd> BusAsync()
    {
        var options = ConfigurationOptions.Parse(redis.ConnectionString);
        (options.AbortOnConnectFail, options.BacklogPolicy, options.ChannelPrefix) = (false, BacklogPolicy.FailFast, RedisChannel.Literal("webgen:"));
        var connection = await ConnectionMultiplexer.ConnectAsync(options);
        return new FrontEnd(connection, new RedisUpdateBus(connection, NullLogger<RedisUpdateBus>.Instance));
    }

    private static RunState State(long version) => new(Guid.NewGuid(), Guid.NewGuid(), new TrainingOptions { Model = ModelKind.Vae },
        RunStatus.Running, null, null, null, DateTime.UtcNow, null, Version: version);

    private sealed record FrontEnd(ConnectionMultiplexer Redis, RedisUpdateBus Bus) : IAsyncDisposable
    {
        public Received Collect()
        {
            var received = new Received();
            Bus.Received += received.Add;
            return received;
        }

        public async ValueTask DisposeAsync()
        {
            Bus.Dispose();
            await Redis.DisposeAsync();
        }
    }

    private sealed class Received
    {
        private readonly List<RunState> states = [];

        public IReadOnlyList<(Guid, long)> Ids
        {
            get
            {
                lock (states)
                    return [.. states.Select(s => (s.Id, s.Version))];
            }
        }

        public void Add(RunState state)
        {
            lock (states)
                states.Add(state);
        }

        public async Task WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(Patience);
            while (Ids.Count < count)
                await Task.Delay(20, timeout.Token);
        }
    }
}
