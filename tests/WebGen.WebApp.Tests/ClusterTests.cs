using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebGen.Tools.Cluster;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;
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

    /// <summary>The students' runs of the fair-share test: a few steps, since only their order is judged.</summary>
    private const int ShortRun = 100;

    [Fact]
    public async Task KillingTheWorkerTrainingARun_AnotherWorkerResumesItFromItsCheckpoint_AndItCompletesOnceAsTheUninterruptedRunWould()
    {
        using var client = await cluster.InstructorAsync();
        var id = await CreateAsync(client);
        await WaitForAsync(id, r => r.Step >= 250 && r.CheckpointStep >= 200);
        var training = await cluster.WorkerTrainingAsync(id) ?? throw new InvalidOperationException("no live worker trains the run");
        var (checkpointAtKill, attemptAtKill) = await ReadAsync(id, r => (r.CheckpointStep, r.Attempt));

        var clock = Stopwatch.StartNew();
        await training.KillAsync();
        var resumed = await WaitForAsync(id, r => r.Attempt > attemptAtKill && r.WorkerId != null);
        var killToResume = clock.Elapsed;
        output.WriteLine($"kill-to-resume: {killToResume.TotalSeconds:F1} s (lease {ClusterTiming.Lease.TotalSeconds} s), from the step-{checkpointAtKill} checkpoint");
        Assert.DoesNotContain($"-{training.ProcessId}-", resumed.WorkerId);
        cluster.Workers.Remove(training);
        await training.DisposeAsync();
        cluster.Workers.Add(await cluster.StartAsync("worker")); // two workers again, for the other tests
        // The same run (same settings, same seed) trained without interruption, on the worker just started.
        var uninterrupted = await CreateAsync(client);

        var final = await WaitForAsync(id, r => r.Status is not (RunStatus.Queued or RunStatus.Running));
        Assert.Equal((RunStatus.Completed, Iterations, attemptAtKill + 1), (final.Status, final.Step, final.Attempt));
        var steps = await HistoryAsync(client, id);
        Assert.Equal(steps.Distinct().Order(), steps); // every step once, in order
        Assert.Equal(Iterations, steps[^1]);

        var reference = await WaitForAsync(uninterrupted, r => r.Status is not (RunStatus.Queued or RunStatus.Running));
        Assert.Equal((RunStatus.Completed, 1), (reference.Status, reference.Attempt));
        Assert.Equal(await LossesAsync(uninterrupted), await LossesAsync(id));
        Assert.Equal(reference.MetricsJson, final.MetricsJson);
    }

    [Fact]
    public async Task RestartingAnIdleWorker_DoesNotTakeTheRunAnotherWorkerTrains()
    {
        using var client = await cluster.InstructorAsync();
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
        using var client = await cluster.InstructorAsync();
        var id = await CreateAsync(client);
        await WaitForAsync(id, r => r.Step >= 150);
        await cluster.Postgres.RestartAsync(down: TimeSpan.FromSeconds(2));

        var final = await WaitForAsync(id, r => r.Status is not (RunStatus.Queued or RunStatus.Running));
        Assert.Equal((RunStatus.Completed, Iterations), (final.Status, final.Step));
        var steps = await HistoryAsync(client, id);
        Assert.Equal(steps.Distinct().Order(), steps);
    }

    [Fact]
    public async Task ThreeStudentsWithARunningLimitOfOne_StartInTheFairQueuesOrderOnBothWorkers_NeverOneStudentWithTwoRunsTraining()
    {
        var students = new List<HttpClient>();
        foreach (var name in new[] { "ada", "ben", "cyd" })
            students.Add(await cluster.StudentAsync($"{name}@webgen.test"));
        // Ada queues three runs before Ben queues two and Cyd one: first come, first served would run Ada's first.
        var ids = new List<Guid>();
        foreach (var (student, count) in students.Zip([3, 2, 1]))
        {
            for (var run = 0; run < count; run++)
                ids.Add(await CreateAsync(student, ShortRun));
        }
        using var sampling = new CancellationTokenSource();
        var sampler = SampleTrainingAsync(ids, sampling.Token);
        foreach (var id in ids)
            Assert.Equal(RunStatus.Completed, (await WaitForAsync(id, r => r.Status is not (RunStatus.Queued or RunStatus.Running))).Status);
        await sampling.CancelAsync();
        var (mostOfOneStudent, mostAtOnce, samples) = await sampler;
        output.WriteLine($"{samples} samples: at most {mostAtOnce} of the students' runs training at once, {mostOfOneStudent} of one student");
        Assert.Equal((1, 2), (mostOfOneStudent, mostAtOnce)); // one run per student, and both workers used

        await using var db = cluster.Db();
        var started = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).OrderBy(r => r.AdmittedUtc).ToListAsync();
        Assert.Equal(FairChoices(started), started.Select(r => r.Id));
    }

    /// <summary>
    /// Reads which of <paramref name="runs"/> train every 50 ms until cancelled: the most of one student's at once,
    /// the most at once, and how many reads.
    /// </summary>
    private async Task<(int MostOfOneStudent, int MostAtOnce, int Samples)> SampleTrainingAsync(List<Guid> runs, CancellationToken stop)
    {
        var (mostOfOne, mostAtOnce, samples) = (0, 0, 0);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var db = cluster.Db();
                var training = await db.Runs.AsNoTracking().Where(r => runs.Contains(r.Id) && r.Status == RunStatus.Running)
                    .Select(r => r.OwnerId).ToListAsync(stop);
                mostAtOnce = Math.Max(mostAtOnce, training.Count);
                mostOfOne = Math.Max(mostOfOne, training.CountBy(owner => owner ?? "").Select(c => c.Value).DefaultIfEmpty(0).Max());
                samples++;
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return (mostOfOne, mostAtOnce, samples);
    }

    /// <summary>
    /// The fair queue's choice at each start of <paramref name="started"/> (in start order), replayed from the store's
    /// times: the runs queued then in arrival order, each student's earlier starts, and the students training then
    /// (running limit 1) — so the check holds whichever worker finished first.
    /// </summary>
    private static List<Guid> FairChoices(List<RunEntity> started)
    {
        var choices = new List<Guid>();
        foreach (var (start, index) in started.Select((r, i) => (r, i)))
        {
            var at = start.AdmittedUtc!.Value;
            var queue = new FairQueue();
            foreach (var earlier in started.Take(index))
                queue.Served(earlier.OwnerId!);
            foreach (var waiting in started.Skip(index).Where(r => r.CreatedUtc <= at).OrderBy(r => r.CreatedUtc))
                queue.Enqueue(new QueuedRun(waiting.Id, waiting.OwnerId!, Limited: true));
            var training = started.Take(index).Where(r => r.FinishedUtc > at).Select(r => r.OwnerId).ToHashSet();
            choices.Add(queue.Take(run => !training.Contains(run.User))?.Run ?? Guid.Empty);
        }
        return choices;
    }

    [Fact]
    public async Task AReviewUploadedOnTheWebProcess_IsEvaluatedByAWorker_AsPyTorchScoresIt()
    {
        using var client = await cluster.InstructorAsync();
        var id = await UploadReviewAsync(client, "ssvae_legacy.pt", "Ada", "ssvae", gw: "0");
        var review = await ReviewsTests.WaitForAsync(client, id);

        Assert.Equal(ReviewStatus.Done, review.Status);
        Assert.Equal(ReviewsTests.Protocol("ssvae").GetProperty("accuracy").GetDouble(), review.Metrics!.Accuracy!.Value, 1e-6);
        var evaluated = $"Review {id}: evaluated";
        Assert.DoesNotContain(evaluated, cluster.Web.Output); // the web process trains and evaluates nothing
        Assert.Single(cluster.Workers, w => w.Output.Contains(evaluated, StringComparison.Ordinal));
    }

    [Fact]
    public async Task KillingTheWorkerEvaluatingAReview_AnotherWorkerEvaluatesIt_AndItIsScoredAsPyTorchScoresIt()
    {
        using var client = await cluster.InstructorAsync();
        var id = await UploadReviewAsync(client, "vae_zip.pt", "Bo", "vae"); // the protocol's IWAE-1000 takes half a minute here
        await ReviewsTests.WaitForAsync(client, id, r => r.Status == ReviewStatus.Evaluating);
        var evaluating = $"Review {id}: evaluating";
        WebGenProcess? victim;
        while ((victim = cluster.Workers.SingleOrDefault(w => w.Output.Contains(evaluating, StringComparison.Ordinal))) is null)
            await Task.Delay(50); // its log line follows the stored status

        var clock = Stopwatch.StartNew();
        await victim.KillAsync();
        cluster.Workers.Remove(victim);
        await victim.DisposeAsync();
        var review = await ReviewsTests.WaitForAsync(client, id);
        output.WriteLine($"kill to the review's end on the other worker: {clock.Elapsed.TotalSeconds:F1} s (lease {ClusterTiming.Lease.TotalSeconds} s)");
        cluster.Workers.Add(await cluster.StartAsync("worker")); // two workers again, for the other tests

        Assert.Equal(ReviewStatus.Done, review.Status);
        Assert.Single(cluster.Workers, w => w.Output.Contains(evaluating, StringComparison.Ordinal) && w.Output.Contains($"Review {id}: evaluated", StringComparison.Ordinal));
        var pytorch = ReviewsTests.Protocol("vae");
        static void Near(double expected, double actual) => Assert.Equal(expected, actual, 1e-5 * Math.Abs(expected));
        Near(pytorch.GetProperty("nelbo").GetDouble(), review.Metrics!.LowerBound!.Nelbo);
        Near(pytorch.GetProperty("iwae").GetProperty("1000").GetDouble(), review.Metrics.LowerBound.Iwae[1000]);
    }

    private static async Task<Guid> UploadReviewAsync(HttpClient client, string fixture, string student, string model, string? gw = null)
    {
        var response = await client.PostAsync("/api/reviews", ReviewsTests.Form(fixture, student, model, gw));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ReviewState>(Shared.WebGenJson.Options))!.Id;
    }

    private static async Task<Guid> CreateAsync(HttpClient client, int iterations = Iterations)
    {
        var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations, device = "cpu" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<RunState[]>(Shared.WebGenJson.Options))![0].Id;
    }

    private static async Task<List<int>> HistoryAsync(HttpClient client, Guid id) =>
        [.. (await client.GetFromJsonAsync<MetricPoint[]>($"/api/runs/{id}/history", Shared.WebGenJson.Options))!.Select(p => p.Step)];

    /// <summary>The run's stored history without its pace: what a resumed run must reproduce exactly.</summary>
    private async Task<List<(int Step, double Loss, double Kl, double Rec)>> LossesAsync(Guid id)
    {
        await using var db = cluster.Db();
        return [.. (await db.MetricPoints.AsNoTracking().Where(p => p.RunId == id).OrderBy(p => p.Step).ToListAsync())
            .Select(p => (p.Step, p.Loss, p.Kl, p.Rec))];
    }

    private async Task<T> ReadAsync<T>(Guid id, Func<RunEntity, T> read)
    {
        await using var db = cluster.Db();
        return read(await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id));
    }

    /// <summary>Reads the stored run every 100 ms until <paramref name="done"/>; a database that is restarting is read again.</summary>
    private async Task<RunEntity> WaitForAsync(Guid id, Func<RunEntity, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(20));
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
