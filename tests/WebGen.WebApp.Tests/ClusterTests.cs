using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;
using Xunit.Abstractions;

namespace WebGen.WebApp.Tests;

/// <summary>
/// Real processes on a real PostgreSQL (<see cref="ClusterFixture"/>): a web process queues runs, two workers train
/// them, and workers and the database are killed or restarted under them.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class ClusterTests(ClusterFixture cluster, ITestOutputHelper output) : IClassFixture<ClusterFixture>
{
    private const int Iterations = 700;

    [Fact]
    public async Task KillingTheWorkerTrainingARun_AnotherWorkerResumesItFromItsCheckpoint_AndItCompletesOnce()
    {
        using var client = new HttpClient { BaseAddress = cluster.Web.Address };
        var id = await CreateAsync(client);
        await WaitForAsync(id, r => r.Step >= 250 && r.CheckpointStep >= 200);
        var training = await cluster.WorkerTrainingAsync(id) ?? throw new InvalidOperationException("no live worker trains the run");
        var (checkpointAtKill, attemptAtKill) = await ReadAsync(id, r => (r.CheckpointStep, r.Attempt));

        var clock = Stopwatch.StartNew();
        await training.KillAsync();
        var resumed = await WaitForAsync(id, r => r.Attempt > attemptAtKill && r.WorkerId != null);
        var killToResume = clock.Elapsed;
        output.WriteLine($"kill-to-resume: {killToResume.TotalSeconds:F1} s (lease {ClusterFixture.Lease.TotalSeconds} s), from the step-{checkpointAtKill} checkpoint");
        Assert.DoesNotContain($"-{training.ProcessId}-", resumed.WorkerId);
        cluster.Workers.Remove(training);
        await training.DisposeAsync();
        cluster.Workers.Add(await cluster.StartAsync("worker")); // two workers again, for the other tests

        var final = await WaitForAsync(id, r => r.Status is not (RunStatus.Queued or RunStatus.Running));
        Assert.Equal((RunStatus.Completed, Iterations, attemptAtKill + 1), (final.Status, final.Step, final.Attempt));
        var steps = await HistoryAsync(client, id);
        Assert.Equal(steps.Distinct().Order(), steps); // every step once, in order
        Assert.Equal(Iterations, steps[^1]);
    }

    [Fact]
    public async Task RestartingAnIdleWorker_DoesNotTakeTheRunAnotherWorkerTrains()
    {
        using var client = new HttpClient { BaseAddress = cluster.Web.Address };
        var id = await CreateAsync(client);
        await WaitForAsync(id, r => r.Step >= 100);
        var training = await cluster.WorkerTrainingAsync(id) ?? throw new InvalidOperationException("no live worker trains the run");
        var attempt = await ReadAsync(id, r => r.Attempt);
        var idle = cluster.Workers.First(w => w != training && !w.HasExited);
        await idle.KillAsync();
        cluster.Workers.Remove(idle);
        cluster.Workers.Add(await cluster.StartAsync("worker"));

        var final = await WaitForAsync(id, r => r.Status is not (RunStatus.Queued or RunStatus.Running));
        Assert.Equal((RunStatus.Completed, attempt), (final.Status, final.Attempt)); // never taken again
    }

    [Fact]
    public async Task RestartingPostgreSqlDuringARun_LosesNothing_TheRunCompletes()
    {
        using var client = new HttpClient { BaseAddress = cluster.Web.Address };
        var id = await CreateAsync(client);
        await WaitForAsync(id, r => r.Step >= 150);
        await cluster.Postgres.RestartAsync(down: TimeSpan.FromSeconds(2));

        var final = await WaitForAsync(id, r => r.Status is not (RunStatus.Queued or RunStatus.Running));
        Assert.Equal((RunStatus.Completed, Iterations), (final.Status, final.Step));
        var steps = await HistoryAsync(client, id);
        Assert.Equal(steps.Distinct().Order(), steps);
    }

    private static async Task<Guid> CreateAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = Iterations, device = "cpu" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RunState[]>(Shared.WebGenJson.Options))![0].Id;
    }

    private static async Task<List<int>> HistoryAsync(HttpClient client, Guid id) =>
        [.. (await client.GetFromJsonAsync<MetricPoint[]>($"/api/runs/{id}/history", Shared.WebGenJson.Options))!.Select(p => p.Step)];

    private async Task<T> ReadAsync<T>(Guid id, Func<RunEntity, T> read)
    {
        await using var db = cluster.Db();
        return read(await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id));
    }

    /// <summary>Reads the stored run every 100 ms until <paramref name="done"/>; a database that is restarting is read again.</summary>
    private async Task<RunEntity> WaitForAsync(Guid id, Func<RunEntity, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        while (true)
        {
            try
            {
                await using var db = cluster.Db();
                var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id, timeout.Token);
                if (done(run))
                    return run;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException && !timeout.IsCancellationRequested)
            {
                // the database is restarting
            }
            await Task.Delay(100, timeout.Token);
        }
    }
}
