using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using WebGen.Shared;
using WebGen.Tools.ClusterBench;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;
using Xunit.Abstractions;

namespace WebGen.WebApp.Tests;

/// <summary>Two front ends on one database and one Redis act as one site: a run, a watcher, a cancel or a login made on either counts on both.</summary>
public sealed partial class FrontEndsTests(FrontEnds cluster, ITestOutputHelper output) : IClassFixture<FrontEnds>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(8);

    /// <summary>Runs long enough never to finish during a test (the trainer reports every 50 steps): each ends cancelled.</summary>
    private const int LongRun = 10_000;

    /// <summary>A run that reaches its evaluation soon.</summary>
    private const int ShortRun = 100;

    [Fact]
    public async Task AWatcherOnA_GetsEveryProgressUpdateOfARunTrainedOnB_InVersionOrderThroughItsFinalState()
    {
        var cookies = new CookieContainer();
        using var onB = await FrontEnds.SignInAsync(cluster.B, cookies);
        await using var hubOnA = await FrontEnds.HubAsync(cluster.A, cookies);

        var id = await FrontEnds.QueueRunAsync(onB, LongRun);
        var watch = await ProgressWatch.StartAsync(hubOnA, id);
        await WaitUntilAsync(() => watch.Arrivals.Count(a => a.Update.Progress is not null) >= 4);
        await CancelAsync(onB, id);
        var final = await watch.Finished.WaitAsync(RunTimeout);

        Assert.Equal("cancelled", final.Status.ToLowerInvariant());
        var versions = watch.Arrivals.Select(a => a.Update.Version).ToList();
        // Never backwards; a state may come twice (a front end's catch-up after a Redis outage redelivers what it stored).
        Assert.True(versions.Zip(versions.Skip(1)).All(v => v.First <= v.Second), $"versions went backwards: {string.Join(", ", versions)}");
        var history = await ProgressWatch.HistoryAsync(onB, id);
        Assert.Empty(watch.Missed(history));
        var latency = watch.LatencyMs(history);
        output.WriteLine($"progress latency across front ends (worker report on B → watcher on A): p50 {latency.P50:F1} ms, p95 {latency.P95:F1} ms over {latency.Count} updates");
    }

    [Fact]
    public async Task ABrowserWatchingARunOnA_SeesItsPercentageMove_ThenCancelledAfterACancelOnB()
    {
        var cookies = new CookieContainer();
        using var onB = await FrontEnds.SignInAsync(cluster.B, cookies);
        var id = await FrontEnds.QueueRunAsync(onB, iterations: 5_000); // 1 % a report

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { BaseURL = cluster.A.Address.ToString() });
        await SignIn.LogInAsync(page, ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);
        await page.GotoAsync($"/runs/{id}");

        // The tab's title carries the percentage while the run trains: two different ones, each pushed from B.
        var first = await PercentAsync(page, _ => true);
        await PercentAsync(page, percent => percent > first);
        await CancelAsync(onB, id);
        await Assertions.Expect(page.GetByTestId("status")).ToHaveTextAsync("cancelled", new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task ACancelOnA_ReachesTheWorkerEvaluatingARunWithinOneSecond()
    {
        var cookies = new CookieContainer();
        using var onB = await FrontEnds.SignInAsync(cluster.B, cookies);
        using var onA = FrontEnds.Client(cluster.A, cookies);
        var id = await FrontEnds.QueueRunAsync(onB, iterations: ShortRun);
        // Trained to its last step and not finished: its final evaluation (the IWAE bounds) is in progress.
        await WaitUntilAsync(async () => await StoredAsync(onA, id) is { Status: RunStatus.Running, Progress.Step: ShortRun });

        var clock = Stopwatch.StartNew();
        await CancelAsync(onA, id);
        await WaitUntilAsync(async () => (await StoredAsync(onA, id)).IsFinished);
        output.WriteLine($"cancel during the evaluation to cancelled: {clock.ElapsedMilliseconds} ms");

        Assert.Equal(RunStatus.Cancelled, (await StoredAsync(onA, id)).Status);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task ALoginCookieFromA_IsAcceptedByB()
    {
        var cookies = new CookieContainer();
        using var onA = await FrontEnds.SignInAsync(cluster.A, cookies);
        using var onB = FrontEnds.Client(cluster.B, cookies);

        var response = await onB.GetAsync("/api/runs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ARunCancelledWhileRedisIsDown_ReachesTheWatcherOnA_WhenRedisIsBack()
    {
        var cookies = new CookieContainer();
        using var onB = await FrontEnds.SignInAsync(cluster.B, cookies);
        await using var hubOnA = await FrontEnds.HubAsync(cluster.A, cookies);
        var id = await FrontEnds.QueueRunAsync(onB, LongRun);
        var watch = await ProgressWatch.StartAsync(hubOnA, id);
        await WaitUntilAsync(() => watch.Arrivals.Any(a => a.Update.Progress?.Step > 0));

        await cluster.Redis.StopAsync();
        await CancelAsync(onB, id); // stored, but published to nobody: the backplane and the bus are down
        await WaitUntilAsync(async () => (await StoredAsync(onB, id)).IsFinished);
        Assert.False(watch.Finished.IsCompleted, "the final state reached A with Redis down");
        await cluster.Redis.StartAsync();
        var final = await watch.Finished.WaitAsync(RunTimeout);

        Assert.Equal((await StoredAsync(onB, id)).Version, final.Version);
    }

    [Fact]
    public async Task RestartingRedisDuringARun_LosesNothing_ProgressReachesTheWatcherOnAAgain()
    {
        var cookies = new CookieContainer();
        using var onB = await FrontEnds.SignInAsync(cluster.B, cookies);
        await using var hubOnA = await FrontEnds.HubAsync(cluster.A, cookies);
        var id = await FrontEnds.QueueRunAsync(onB, LongRun);
        var watch = await ProgressWatch.StartAsync(hubOnA, id);
        await WaitUntilAsync(() => watch.Arrivals.Any(a => a.Update.Progress?.Step > 0));

        await cluster.Redis.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2)); // the run trains on while nothing is published
        await cluster.Redis.StartAsync();
        var stepAtRestart = (await StoredAsync(onB, id)).Progress?.Step ?? 0;
        await WaitUntilAsync(() => watch.Arrivals.Any(a => a.Update.Progress?.Step > stepAtRestart));
        await CancelAsync(onB, id);
        var final = await watch.Finished.WaitAsync(RunTimeout);

        // The final state pushed is the one stored last: nothing after it was lost, nothing older came after it.
        Assert.Equal((await StoredAsync(onB, id)).Version, final.Version);
    }

    private static async Task<RunState> StoredAsync(HttpClient client, Guid id) =>
        (await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", WebGenJson.Options))!;

    private static async Task CancelAsync(HttpClient client, Guid id) =>
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);

    /// <summary>Waits for the page title's percentage ("37 % · VAE · seed 0 · WebGen") to satisfy <paramref name="wanted"/>.</summary>
    private static async Task<int> PercentAsync(IPage page, Func<int, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(RunTimeout);
        while (true)
        {
            if (Percent().Match(await page.TitleAsync()) is { Success: true } m && int.Parse(m.Groups[1].Value) is var percent && wanted(percent))
                return percent;
            await Task.Delay(100, timeout.Token);
        }
    }

    [GeneratedRegex(@"^(\d+) %")]
    private static partial Regex Percent();

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(RunTimeout);
        while (!await condition())
            await Task.Delay(50, timeout.Token);
    }
}
