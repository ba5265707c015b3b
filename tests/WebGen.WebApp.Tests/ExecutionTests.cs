using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebGen.Tests.Common;
using WebGen.Tools.Cluster;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;
using Xunit.Abstractions;

namespace WebGen.WebApp.Tests;

/// <summary>The single-process default's execution path: cancels through the store, fenced writes, the roles' settings.</summary>
public sealed class ExecutionTests(WebGenFactory factory, ITestOutputHelper output) : IClassFixture<WebGenFactory>
{
    [Fact]
    public async Task ACancel_ReachesTheWorkerTrainingTheRunWithinOneSecond()
    {
        using var client = factory.CreateClient();
        var run = await CreateAsync(client, iterations: 1_000_000);
        await PollAsync(client, run, s => s.Progress is not null);

        var clock = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{run}/cancel", null)).StatusCode);
        var state = await PollAsync(client, run, s => s.IsFinished);
        output.WriteLine($"cancel to cancelled: {clock.ElapsedMilliseconds} ms");
        Assert.Equal(RunStatus.Cancelled, state.Status);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task AWorkerWhoseRunWasTakenOver_CanWriteNeitherProgressNorACheckpointNorAFinalState()
    {
        using var client = factory.CreateClient();
        var run = await CreateAsync(client, iterations: 1_000_000);
        await PollAsync(client, run, s => s.Progress is not null);
        var runs = factory.Services.GetRequiredService<RunLifecycle>();
        int zombie;
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<WebGenDb>>().CreateDbContextAsync())
            zombie = await db.Runs.Where(r => r.Id == run).Select(r => r.Attempt).SingleAsync();

        // Another attempt takes the run (as a worker does after this one's lease ran out; here under a live worker's
        // id, so the dispatcher leaves it be): the attempt moves on.
        var live = factory.Services.GetRequiredService<WorkerHeartbeat>().Id;
        Assert.NotNull(await runs.UpdateAsync(run, attempt: null, r => { (r.Attempt, r.WorkerId) = (r.Attempt + 1, live); return true; }));
        Assert.Null(await runs.RecordProgressAsync(run, zombie, new(999_999, 1_000_000, 1, 1, 1, 1)));
        Assert.Null(await runs.RecordCheckpointAsync(run, zombie, 999_000, "zombie/model-999000.pt", CancellationToken.None));
        Assert.Null(await runs.UpdateAsync(run, zombie, r => { r.Status = RunStatus.Completed; return true; }));

        // The job that trained it sees the attempt move on its next look at the store and stops, writing nothing more.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = (await client.GetFromJsonAsync<RunState>($"/api/runs/{run}", factory.Json))!;
        await Task.Delay(TimeSpan.FromSeconds(1));
        var after = (await client.GetFromJsonAsync<RunState>($"/api/runs/{run}", factory.Json))!;
        Assert.Equal((RunStatus.Running, before.Version), (after.Status, after.Version));
        Assert.NotEqual(999_999, after.Progress?.Step);
        await runs.UpdateAsync(run, attempt: null, r => { (r.Status, r.FinishedUtc) = (RunStatus.Cancelled, DateTime.UtcNow); return true; }); // for the other tests
    }

    [Fact]
    public async Task ARunWhoseWorkerDied_IsHandedOutAgain_KeepingWhenItWasAdmitted()
    {
        using var client = factory.CreateClient();
        var run = await CreateAsync(client, iterations: 1_000_000);
        await PollAsync(client, run, s => s.Progress is not null);
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<WebGenDb>>();
        var runs = factory.Services.GetRequiredService<RunLifecycle>();
        var admitted = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        int attempt;
        await using (var db = await dbFactory.CreateDbContextAsync())
            attempt = await db.Runs.Where(r => r.Id == run).Select(r => r.Attempt).SingleAsync();

        // As the store reads once its worker stopped beating: a worker no heartbeat vouches for.
        Assert.NotNull(await runs.UpdateAsync(run, attempt: null, r => { (r.WorkerId, r.AdmittedUtc) = ("a-worker-that-died", admitted); return true; }));
        var clock = Stopwatch.StartNew();
        RunEntity taken;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            taken = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == run);
            if (taken.Attempt > attempt && taken.WorkerId is not null) break;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the run was not handed out again");
            await Task.Delay(50);
        }

        Assert.Equal((RunStatus.Running, 1, admitted), (taken.Status, taken.Crashes, taken.AdmittedUtc));
        Assert.True(taken.HandedOutUtc > admitted, "handing the run out again is recorded apart from its admission");
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{run}/cancel", null)).StatusCode); // for the other tests
        await PollAsync(client, run, s => s.IsFinished);
    }

    [Fact]
    public async Task EveryStoredChange_RaisesTheRunsVersion()
    {
        using var client = factory.CreateClient();
        var run = await CreateAsync(client, iterations: 1_000_000);
        var versions = new List<long>();
        for (var seen = 0; seen < 5;)
        {
            var state = (await client.GetFromJsonAsync<RunState>($"/api/runs/{run}", factory.Json))!;
            if (versions.Count == 0 || versions[^1] != state.Version)
            {
                versions.Add(state.Version);
                seen++;
            }
            await Task.Delay(50);
        }
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Count, versions.Distinct().Count());
        await client.PostAsync($"/api/runs/{run}/cancel", null);
    }

    [Theory]
    [InlineData("--roles worker", "a split deployment (web and worker processes apart) needs WebGen:Database postgres")]
    [InlineData("--roles web --WebGen:Database postgres --ConnectionStrings:Runs Host=127.0.0.1;Port=1",
        "WebGen:Roles web: a split deployment needs ConnectionStrings:Redis (e.g. \"redis:6379\")")]
    [InlineData("--roles everything", "WebGen:Roles everything: accepted values are web, worker, both.")]
    [InlineData("--WebGen:Worker:Slots 100000", "WebGen:Worker:Slots 100000: accepted values are 1 to 64.")]
    [InlineData("--WebGen:Worker:Lease 00:00:01", "WebGen:Worker:Lease 00:00:01: accepted values are at least twice the heartbeat (00:00:10).")]
    public void SettingsAProcessCannotRunWith_AreRefusedAtStartInOneLine(string flags, string refusal)
    {
        var folder = Directory.CreateTempSubdirectory("webgen-refused-").FullName;
        try
        {
            string[] arguments = ["--urls", $"http://127.0.0.1:{ServerProcesses.FreePort()}",
                "--ConnectionStrings:Runs", $"Data Source={Path.Combine(folder, "runs.db")}", "--WebGen:RunsFolder", folder, .. flags.Split(' ')];
            var (exitCode, _, errors) = DotnetProgram.Run(ClusterFixture.WebAppDll(), arguments,
                Path.Combine(WebGenFactory.RepositoryRoot(), "WebApp"), TimeSpan.FromMinutes(2)); // the content root, as ./webgen serve has it
            Assert.Equal(2, exitCode);
            var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(refusal, line);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<Guid> CreateAsync(HttpClient client, int iterations)
    {
        var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations, device = "cpu" }, factory.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RunState[]>(factory.Json))![0].Id;
    }

    private async Task<RunState> PollAsync(HttpClient client, Guid id, Func<RunState, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            var state = (await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", factory.Json, timeout.Token))!;
            if (done(state)) return state;
            await Task.Delay(20, timeout.Token);
        }
    }
}
