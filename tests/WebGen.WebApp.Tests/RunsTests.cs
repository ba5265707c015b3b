using System.Net;
using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebGen.Shared;
using WebGen.WebApp.Runs;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Tests;

/// <summary>Runs through the JSON API and the hub, as a script or a second browser would use them.</summary>
public sealed class RunsTests(WebGenFactory factory) : IClassFixture<WebGenFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    private async Task<RunState> CreateAsync(HttpClient client, object options)
    {
        var response = await client.PostAsJsonAsync("/api/runs", options, factory.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RunState[]>(factory.Json))!.Single();
    }

    /// <summary>Subscribes a new hub connection to a run; returns its first state and the stream of updates.</summary>
    private async Task<(HubConnection Hub, RunState? First, ChannelReader<RunState> Updates)> WatchAsync(Guid id)
    {
        var updates = Channel.CreateUnbounded<RunState>();
        var hub = factory.RunsHub();
        hub.On<RunState>(nameof(IRunsClient.RunUpdated), state => updates.Writer.TryWrite(state));
        await hub.StartAsync();
        var first = await hub.InvokeAsync<RunState?>(nameof(IRunsHub.Subscribe), id);
        return (hub, first, updates.Reader);
    }

    private static async Task<RunState> WaitForAsync(
        ChannelReader<RunState> updates, Func<RunState, bool> done, List<RunState>? seen = null, RunState? first = null)
    {
        if (first is not null && done(first)) return first;
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            var state = await updates.ReadAsync(timeout.Token);
            seen?.Add(state);
            if (done(state)) return state;
        }
    }

    [Fact]
    public async Task ShortVaeRun_StreamsProgressOverTheHubAndEndsWithTheProtocolMetrics()
    {
        using var client = factory.CreateClient();
        var run = await CreateAsync(client, new { model = "vae", iterations = 400, checkpointEvery = 400, device = "cpu" });
        var (hub, first, updates) = await WatchAsync(run.Id);
        await using var _ = hub;
        Assert.NotNull(first);

        var seen = new List<RunState>();
        var final = await WaitForAsync(updates, s => s.IsFinished, seen, first);

        Assert.Equal(RunStatus.Completed, final.Status);
        var steps = seen.Where(s => s.Progress is not null).Select(s => s.Progress!.Step).Distinct().ToList();
        Assert.True(steps.Count >= 2, $"progress updates: {steps.Count}");
        Assert.Equal(steps.Order(), steps);
        Assert.All(steps, step => Assert.Equal(0, step % 50)); // read back every 50 steps, never every step
        var bound = final.Metrics!.LowerBound!;
        Assert.InRange(bound.Nelbo, 100, 250);
        Assert.Equal([1, 10, 100, 1000], bound.Iwae.Keys.Order());

        var stored = await client.GetFromJsonAsync<RunState>($"/api/runs/{run.Id}", factory.Json);
        Assert.Equal(RunStatus.Completed, stored!.Status);
        Assert.Equal(bound.Nelbo, stored.Metrics!.LowerBound!.Nelbo);
        Assert.Equal(400, stored.PreviewStep);

        var history = await client.GetFromJsonAsync<MetricPoint[]>($"/api/runs/{run.Id}/history", factory.Json);
        Assert.Equal(steps, history!.Select(p => p.Step).Where(steps.Contains));
        Assert.Equal(400, history![^1].Step);
        // Throttled: stored and pushed at most once per 250 ms, except the final step.
        var gaps = history.Zip(history.Skip(1), (a, b) => b.AtUtc - a.AtUtc).SkipLast(1);
        Assert.All(gaps, gap => Assert.True(gap >= TimeSpan.FromMilliseconds(240), $"two updates {gap.TotalMilliseconds} ms apart"));
        var csv = (await client.GetStringAsync($"/api/runs/{run.Id}/metrics.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("step,loss,kl,rec,steps_per_second,at_utc", csv[0]);
        Assert.Equal(history.Length + 1, csv.Length);
        foreach (var file in new[] { "grid.png", "preview.png" })
        {
            var png = await client.GetByteArrayAsync($"/api/runs/{run.Id}/{file}");
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        }
        var checkpoint = await client.GetAsync($"/api/runs/{run.Id}/checkpoint");
        Assert.Equal(HttpStatusCode.OK, checkpoint.StatusCode);
        Assert.Equal("model-00400.pt", checkpoint.Content.Headers.ContentDisposition!.FileName);
    }

    [Fact]
    public async Task AnSsvaeRun_MeasuresItsTestAccuracyAtEveryPreview()
    {
        using var client = factory.CreateClient();
        var run = await CreateAsync(client, new { model = "ssvae", iterations = 300, device = "cpu" }); // previews every 100 steps here
        var (hub, first, updates) = await WatchAsync(run.Id);
        await using var _ = hub;

        var final = await WaitForAsync(updates, s => s.IsFinished, first: first);

        Assert.Equal(RunStatus.Completed, final.Status);
        Assert.Equal([100, 200, 300], final.TestAccuracy!.Select(p => p.Step));
        Assert.All(final.TestAccuracy!, p => Assert.InRange(p.Accuracy, 0.0, 1.0));
        // The last one is the same classifier the final evaluation judges, on the same 10,000 images.
        Assert.Equal(final.Metrics!.Accuracy!.Value, final.TestAccuracy![^1].Accuracy, 10);
    }

    [Fact]
    public async Task Replicates_AreQueuedAsOneGroupWithConsecutiveSeeds()
    {
        using var client = factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/runs?replicates=3", new { model = "gmvae", seed = 4, iterations = 1_000_000, device = "cpu" }, factory.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var runs = (await response.Content.ReadFromJsonAsync<RunState[]>(factory.Json))!;
        try
        {
            Assert.Equal([4, 5, 6], runs.Select(r => r.Options.Seed));
            Assert.True(File.Exists(factory.DatabasePath), "the runs went to another database than the test's own");
            Assert.Single(runs.Select(r => r.Group).Distinct());
        }
        finally
        {
            foreach (var run in runs) // a run still queued or just taken up by the worker: both are cancellable
                Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{run.Id}/cancel", null)).StatusCode);
        }
        var tooMany = await client.PostAsJsonAsync("/api/runs?replicates=11", new { model = "vae" }, factory.Json);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("replicates 11: accepted values are 1 to 10.", await tooMany.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Cancel_RightAfterCreating_AlwaysStopsTheRun()
    {
        // Cancels land at every moment of the worker taking a run up: queued, being marked running, training.
        using var client = factory.CreateClient();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var run = await CreateAsync(client, new { model = "vae", iterations = 1_000_000, device = "cpu" });
            if (attempt % 3 > 0)
                await Task.Delay(attempt * 3);
            var cancel = await client.PostAsync($"/api/runs/{run.Id}/cancel", null);
            Assert.True(cancel.StatusCode == HttpStatusCode.Accepted, $"attempt {attempt}: {await cancel.Content.ReadAsStringAsync()}");
            using var timeout = new CancellationTokenSource(Patience);
            RunState? state;
            while (!(state = await client.GetFromJsonAsync<RunState>($"/api/runs/{run.Id}", factory.Json, timeout.Token))!.IsFinished)
                await Task.Delay(20, timeout.Token);
            Assert.Equal(RunStatus.Cancelled, state.Status);
        }
    }

    [Fact]
    public async Task TwoChangesToOneRunAtOnce_AreAppliedOneAfterTheOther()
    {
        // Two writers (the dispatcher handing a run out, a cancel) both start from one status: one wins, the other
        // sees the winner's status and refuses, and the store keeps the winner's (never "cancelled" then overwritten by
        // "running", which trained a cancelled run to the end). The runs are stored as failed, a status the
        // dispatcher never hands out, so only this test's two changes touch them.
        var runs = factory.Services.GetRequiredService<RunLifecycle>();
        var ids = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToList();
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<WebGenDb>>().CreateDbContextAsync())
        {
            db.Runs.AddRange(ids.Select(id => new RunEntity
            {
                Id = id,
                Group = id,
                Status = RunStatus.Failed,
                CreatedUtc = DateTime.UtcNow,
                OptionsJson = JsonColumn.Write(TrainingOptions.For(ModelKind.Vae)),
            }));
            await db.SaveChangesAsync();
        }
        Func<RunEntity, bool> From(RunStatus queued, RunStatus to) => r =>
        {
            if (r.Status != queued) return false;
            r.Status = to;
            return true;
        };
        using var client = factory.CreateClient();
        foreach (var id in ids)
        {
            var start = Task.Run(() => runs.UpdateAsync(id, attempt: null, From(RunStatus.Failed, RunStatus.Running)));
            var cancel = Task.Run(() => runs.UpdateAsync(id, attempt: null, From(RunStatus.Failed, RunStatus.Cancelled)));
            var winners = (await Task.WhenAll(start, cancel)).OfType<RunState>().ToList();
            var stored = await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", factory.Json);
            Assert.Equal(winners.Select(w => w.Status), [stored!.Status]);
            await runs.UpdateAsync(id, attempt: null, From(RunStatus.Running, RunStatus.Cancelled)); // finished, for the other tests
        }
    }

    [Fact]
    public async Task Cancel_StopsARunningRunAndALateWatcherSeesItsState()
    {
        using var client = factory.CreateClient();
        var run = await CreateAsync(client, new { model = "vae", iterations = 1_000_000, device = "cpu" });
        var (hub, first, updates) = await WatchAsync(run.Id);
        await using var __ = hub;
        await WaitForAsync(updates, s => s.Progress is not null, first: first);

        var (lateHub, lateFirst, _) = await WatchAsync(run.Id);
        await using var ___ = lateHub;
        Assert.Equal(RunStatus.Running, lateFirst!.Status);
        Assert.NotNull(lateFirst.Progress);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{run.Id}/cancel", null)).StatusCode);
        var final = await WaitForAsync(updates, s => s.IsFinished);
        Assert.Equal(RunStatus.Cancelled, final.Status);

        var again = await client.PostAsync($"/api/runs/{run.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("is cancelled", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OutOfRangeOptions_AreRejectedWithTheAcceptedRange()
    {
        using var client = factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 0, learningRate = -1 }, factory.Json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("iterations 0: accepted values are 1 to 10000000.", body);
        Assert.Contains("learningRate -1: accepted values are greater than 0 and at most 1.", body);
    }

    [Fact]
    public async Task MissingFields_TakeTheModelsHomeworkSettings_AndBadBodiesSayWhatIsWrong()
    {
        using var client = factory.CreateClient();
        var run = await CreateAsync(client, new { model = "ssvae", iterations = 1_000_000, device = "cpu" });
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{run.Id}/cancel", null)).StatusCode);
        Assert.Equal(TrainingOptions.For(ModelKind.Ssvae) with { Iterations = 1_000_000, Device = "cpu" }, run.Options);

        async Task<string> Rejected(string body)
        {
            var response = await client.PostAsync("/api/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
        Assert.Contains("model xyz: accepted values are vae, gmvae, ssvae, fsvae.", await Rejected("{\"model\": \"xyz\"}"));
        Assert.Contains("The body is not valid JSON", await Rejected("{\"model\": "));
        Assert.Contains("iterations many: accepted values are 1 to 10000000.", await Rejected("{\"model\": \"vae\", \"iterations\": \"many\"}"));
        Assert.Contains("The body must be a JSON object", await Rejected("null"));
    }

    [Fact]
    public async Task UnknownRun_Is404ForTheApiAndNullForTheHub()
    {
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        var response = await client.GetAsync($"/api/runs/{id}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains($"There is no run {id}.", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{id}/grid.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{id}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/runs/not-a-guid")).StatusCode);
        var (hub, first, _) = await WatchAsync(id);
        await using var _ = hub;
        Assert.Null(first);
    }
}
