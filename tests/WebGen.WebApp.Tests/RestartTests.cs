using Microsoft.Data.Sqlite;
using System.Net.Http.Json;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>Stopping the server mid-run and starting a new one on the same database loses nothing.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-restart-").FullName;
    private readonly Dictionary<string, string?> settings = new() { ["WebGen:CheckpointEvery"] = "100" };

    /// <summary>Long enough that the run cannot finish while the first host shuts down (700 steps once did, on idle cores).</summary>
    private const int Iterations = 3000;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task AnInterruptedRun_ResumesFromItsCheckpointAfterARestartAndCompletes()
    {
        Guid id;
        int stepAtShutdown;
        using (var first = WebGenFactory.On(folder, settings))
        {
            using var client = first.CreateClient();
            var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = Iterations, device = "cpu" }, first.Json);
            id = (await response.Content.ReadFromJsonAsync<RunState[]>(first.Json))![0].Id;
            var state = await PollAsync(client, first, id, s => s.Progress?.Step >= 250);
            stepAtShutdown = state.Progress!.Step;
            Assert.True(stepAtShutdown < Iterations, "the run finished before the restart; give it more steps");
        } // the host stops: the worker is cancelled mid-run

        // The run resumes from the checkpoint its record in the store names: the one written at or after the last
        // hundred the run had passed when it was seen, and before the end. Retention keeps only that one here (a short
        // run has no 10,000-step one), and at most one newer, written as the host stopped and never recorded.
        var (recordedStep, recordedFile) = RecordedCheckpoint();
        Assert.InRange(recordedStep, stepAtShutdown / 100 * 100, Iterations - 100);
        Assert.True(File.Exists(Path.Combine(folder, "runs", recordedFile)), $"the recorded checkpoint {recordedFile} is not on disk");
        var steps = Directory.GetFiles(folder, "model-*.pt", SearchOption.AllDirectories)
            .Select(f => int.Parse(Path.GetFileNameWithoutExtension(f)["model-".Length..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(recordedStep, steps[0]);
        Assert.InRange(steps.Count, 1, 2);

        using var second = WebGenFactory.On(folder, settings);
        using var secondClient = second.CreateClient();
        var final = await PollAsync(secondClient, second, id, s => s.IsFinished);
        Assert.Equal(RunStatus.Completed, final.Status);
        Assert.NotNull(final.Metrics!.LowerBound);

        // The run resumed from its last checkpoint, not from step 0: its first report appears once, and where the
        // history goes back (the first host had reported past the checkpoint), it goes back to just after it.
        steps = (await secondClient.GetFromJsonAsync<MetricPoint[]>($"/api/runs/{id}/history", second.Json))!.Select(p => p.Step).ToList();
        Assert.Single(steps, step => step == steps[0]);
        var restartAt = Enumerable.Range(1, Math.Max(0, steps.Count - 1)).FirstOrDefault(i => steps[i] <= steps[i - 1]);
        if (restartAt > 0)
            Assert.InRange(steps[restartAt], stepAtShutdown / 100 * 100 - 100 + 1, stepAtShutdown + 100);
        Assert.Equal(Iterations, steps[^1]);
    }

    [Fact]
    public async Task AReviewBeingEvaluatedWhenTheServerStopped_IsEvaluatedAfterTheRestart()
    {
        Guid id;
        using (var first = WebGenFactory.On(folder, settings))
        {
            using var client = first.CreateClient();
            var response = await client.PostAsync("/api/reviews", ReviewsTests.Form("ssvae_legacy.pt", "Ada", "ssvae", gw: "0"));
            id = (await response.Content.ReadFromJsonAsync<Reviews.ReviewState>(first.Json))!.Id;
            await ReviewsTests.WaitForAsync(client, id);
        }
        // As a server killed mid-evaluation leaves it: its job went with the process's memory.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "runs.db")};Pooling=False"))
        {
            connection.Open();
            using var crash = connection.CreateCommand();
            crash.CommandText = """UPDATE "Reviews" SET "Status" = 'Evaluating', "MetricsJson" = NULL, "FinishedUtc" = NULL""";
            Assert.Equal(1, crash.ExecuteNonQuery());
        }

        using var second = WebGenFactory.On(folder, settings);
        using var secondClient = second.CreateClient();
        var review = await ReviewsTests.WaitForAsync(secondClient, id);
        Assert.Equal(ReviewStatus.Done, review.Status);
        Assert.Equal(ReviewsTests.Protocol("ssvae").GetProperty("accuracy").GetDouble(), review.Metrics!.Accuracy!.Value, 1e-6);
    }

    /// <summary>The one run's checkpoint as the store records it: its step and its file under the runs folder.</summary>
    private (int Step, string File) RecordedCheckpoint()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "runs.db")};Pooling=False");
        connection.Open();
        using var read = connection.CreateCommand();
        read.CommandText = """SELECT "CheckpointStep", "CheckpointFile" FROM "Runs" """;
        using var row = read.ExecuteReader();
        Assert.True(row.Read(), "the run is not in the store");
        return (row.GetInt32(0), row.GetString(1));
    }

    private static async Task<RunState> PollAsync(HttpClient client, WebGenFactory app, Guid id, Func<RunState, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        while (true)
        {
            var state = (await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json, timeout.Token))!;
            if (done(state)) return state;
            await Task.Delay(100, timeout.Token);
        }
    }
}
