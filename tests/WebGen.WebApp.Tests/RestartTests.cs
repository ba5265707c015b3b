using System.Net.Http.Json;
using WebGen.Shared;

namespace WebGen.WebApp.Tests;

/// <summary>Stopping the server mid-run and starting a new one on the same database loses nothing.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-restart-").FullName;
    private readonly Dictionary<string, string?> settings = new() { ["WebGen:CheckpointEvery"] = "100" };

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task AnInterruptedRun_ResumesFromItsCheckpointAfterARestartAndCompletes()
    {
        Guid id;
        int stepAtShutdown;
        using (var first = WebGenFactory.On(folder, settings))
        {
            using var client = first.CreateClient();
            var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 700, device = "cpu" }, first.Json);
            id = (await response.Content.ReadFromJsonAsync<RunState[]>(first.Json))![0].Id;
            var state = await PollAsync(client, first, id, s => s.Progress?.Step >= 250);
            stepAtShutdown = state.Progress!.Step;
            Assert.True(stepAtShutdown < 700, "the run finished before the restart; give it more steps");
        } // the host stops: the worker is cancelled mid-run

        var checkpoints = Directory.GetFiles(folder, "model-*.pt", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToList();
        Assert.Contains("model-00200.pt", checkpoints);
        Assert.DoesNotContain("model-00700.pt", checkpoints);

        using var second = WebGenFactory.On(folder, settings);
        using var secondClient = second.CreateClient();
        var final = await PollAsync(secondClient, second, id, s => s.IsFinished);
        Assert.Equal(RunStatus.Completed, final.Status);
        Assert.NotNull(final.Metrics!.LowerBound);

        // The history shows the run going back to its last checkpoint, not to step 0.
        var steps = (await secondClient.GetFromJsonAsync<MetricPoint[]>($"/api/runs/{id}/history", second.Json))!.Select(p => p.Step).ToList();
        var restartAt = Enumerable.Range(1, Math.Max(0, steps.Count - 1)).FirstOrDefault(i => steps[i] <= steps[i - 1]);
        Assert.True(restartAt > 0, $"no step going back to the checkpoint in the history {string.Join(",", steps)}");
        var resumedFrom = steps[restartAt];
        var lastCheckpoint = stepAtShutdown / 100 * 100;
        Assert.InRange(resumedFrom, lastCheckpoint - 100 + 1, stepAtShutdown + 100);
        Assert.Equal(700, steps[^1]);
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
