using System.Diagnostics;
using Microsoft.Extensions.Options;
using WebGen.Compute.Training;
using WebGen.Shared;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Trains queued runs one at a time (one per device) on a dedicated thread, storing progress and pushing it to
/// watchers at most a few times a second.
/// </summary>
public sealed class RunWorker(RunService runs, IOptions<WebGenOptions> options, ILogger<RunWorker> logger) : BackgroundService
{
    /// <summary>The shortest gap between two progress pushes of one run.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await runs.RequeueAfterRestartAsync(stoppingToken);
        await foreach (var id in runs.Queued.ReadAllAsync(stoppingToken))
            await RunAsync(id, stoppingToken);
    }

    private async Task RunAsync(Guid id, CancellationToken stoppingToken)
    {
        var started = await runs.UpdateAsync(id, r =>
        {
            if (r.Status != RunStatus.Queued) return false; // cancelled while waiting
            r.Status = RunStatus.Running;
            return true;
        }, stoppingToken);
        if (started is null)
            return;

        using var cancel = runs.StartTracking(id, stoppingToken);
        var settings = options.Value;
        var progress = new ThrottledProgress(p => _ = runs.UpdateAsync(id, r =>
        {
            (r.Step, r.Loss, r.Kl, r.Rec, r.StepsPerSecond) = (p.Step, p.Loss, p.Kl, p.Rec, p.StepsPerSecond);
            return r.Status == RunStatus.Running;
        }));
        try
        {
            logger.LogInformation("Run {Id}: training {Model} for {Iterations} steps", id, started.Options.Model, started.Options.Iterations);
            var result = await Task.Factory.StartNew(
                () => Experiment.TrainAndEvaluate(started.Options, Path.Combine(settings.DataFolder, "mnist"),
                    Path.Combine(settings.RunsFolder, id.ToString("N")), progress, cancel.Token),
                cancel.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await runs.UpdateAsync(id, r =>
            {
                (r.Status, r.FinishedUtc) = (RunStatus.Completed, DateTime.UtcNow);
                (r.Step, r.MetricsJson, r.Checkpoint, r.Grid) =
                    (r.Options.Iterations, RunEntity.Serialize(result.Metrics), result.Checkpoint, result.Grid);
                return true;
            }, CancellationToken.None);
            logger.LogInformation("Run {Id}: completed", id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            logger.LogInformation("Run {Id}: interrupted by shutdown; it is queued again at the next start", id);
        }
        catch (OperationCanceledException)
        {
            await runs.UpdateAsync(id, r => { (r.Status, r.FinishedUtc) = (RunStatus.Cancelled, DateTime.UtcNow); return true; });
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {Id} failed", id);
            await runs.UpdateAsync(id, r =>
            {
                (r.Status, r.FinishedUtc, r.Error) = (RunStatus.Failed, DateTime.UtcNow, e.Message);
                return true;
            });
        }
        finally
        {
            runs.StopTracking(id);
        }
    }

    /// <summary>Passes on at most one report per <see cref="ProgressInterval"/>, and always the last step.</summary>
    private sealed class ThrottledProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        private readonly Stopwatch sinceLast = Stopwatch.StartNew();
        private bool any;

        public void Report(TrainingProgress value)
        {
            if (any && sinceLast.Elapsed < ProgressInterval && value.Step < value.TotalSteps)
                return;
            any = true;
            sinceLast.Restart();
            report(value);
        }
    }
}
