using System.Threading.Channels;
using Microsoft.Extensions.Options;
using WebGen.Compute.Training;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Gallery;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Trains queued runs, <see cref="WebGenOptions.MaxConcurrentRuns"/> at a time in the fair queue's order, each on a
/// dedicated thread; stores
/// progress and pushes it to watchers at most a few times a second. A run interrupted by a shutdown goes back to
/// "queued" in the store; one interrupted by a crash stays "running", which the next start counts (see
/// <see cref="RunLifecycle.RequeueAfterRestartAsync"/>). Either resumes from its newest checkpoint at the next start.
/// A student's run whose folder grows over their disk quota is stopped and failed.
/// </summary>
public sealed class RunWorker(RunLifecycle runs, RunGallery gallery, IOptions<WebGenOptions> options, ILogger<RunWorker> logger) : BackgroundService
{
    /// <summary>The shortest gap between two progress pushes of one run.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The shortest gap between two measures of a student's run folder against their disk quota.</summary>
    public static readonly TimeSpan DiskCheckInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await runs.RequeueAfterRestartAsync(stoppingToken);
        var slots = Math.Max(1, options.Value.MaxConcurrentRuns);
        await Task.WhenAll(Enumerable.Range(0, slots).Select(async _ =>
        {
            while (true)
            {
                var next = await runs.Queue.TakeAsync(stoppingToken);
                try
                {
                    await RunAsync(next.Run, runs.DiskQuotaFor(next.Limited), stoppingToken);
                }
                finally
                {
                    runs.Queue.Finished(next);
                }
            }
        }));
    }

    private async Task RunAsync(Guid id, long? diskQuota, CancellationToken stoppingToken)
    {
        // Tracked before it is marked running, so a cancel never finds it running but not cancellable.
        using var cancel = runs.StartTracking(id, stoppingToken);
        var started = await runs.UpdateAsync(id, r =>
        {
            if (r.Status != RunStatus.Queued) return false; // cancelled while waiting
            r.Status = RunStatus.Running;
            return true;
        }, stoppingToken);
        if (started is null)
        {
            runs.StopTracking(id);
            return;
        }

        var settings = options.Value;
        var folder = settings.RunFolder(id);
        var trainingOptions = started.Options with { CheckpointEvery = Math.Min(started.Options.CheckpointEvery, settings.CheckpointEvery) };
        string? overQuota = null;
        var sinceDiskCheck = System.Diagnostics.Stopwatch.StartNew();
        var progress = new ProgressRelay(async p =>
        {
            if (diskQuota is { } quota && sinceDiskCheck.Elapsed >= DiskCheckInterval)
            {
                sinceDiskCheck.Restart();
                if (RunCatalog.FolderBytes(folder) is var used && used > quota)
                {
                    overQuota = $"This run's folder uses {ByteSize.Describe(used)} of disk, over your quota of {ByteSize.Describe(quota)}: " +
                        $"it was stopped at step {p.Step}. Ask the instructor for a larger quota.";
                    await cancel.CancelAsync();
                }
            }
            try
            {
                await runs.RecordProgressAsync(id, p);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Run {Id}: progress at step {Step} was not stored", id, p.Step); // training goes on
            }
        });
        var preview = new SamplePreview(settings.PreviewEvery, snapshot =>
        {
            gallery.Add(id, snapshot.Step, snapshot.Png);
            _ = Task.Run(() => runs.UpdateAsync(id, r =>
            {
                r.PreviewStep = snapshot.Step;
                if (snapshot.TestAccuracy is { } accuracy)
                    r.TestAccuracyJson = JsonColumn.Write(r.TestAccuracy.Where(p => p.Step < snapshot.Step).Append(new(snapshot.Step, accuracy)));
                return r.Status == RunStatus.Running;
            }));
        });
        // The last progress is stored, and the run stops being cancellable, before its final state is told to anyone.
        async Task FinishAsync(Func<RunEntity, bool> change)
        {
            await progress.FlushAsync();
            runs.StopTracking(id);
            await runs.UpdateAsync(id, change, CancellationToken.None);
        }
        try
        {
            logger.LogInformation("Run {Id}: training {Model} for {Iterations} steps (from step {Step})",
                id, trainingOptions.Model, trainingOptions.Iterations, started.Progress?.Step ?? 0);
            var result = await Task.Factory.StartNew(
                () => Experiment.TrainAndEvaluate(trainingOptions, settings.DataFolder, folder, progress, cancel.Token, resume: true, preview),
                cancel.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await FinishAsync(r =>
            {
                (r.Status, r.FinishedUtc) = (RunStatus.Completed, DateTime.UtcNow);
                (r.Step, r.MetricsJson, r.Checkpoint, r.Grid) =
                    (r.Options.Iterations, JsonColumn.Write(result.Metrics), result.Checkpoint, result.Grid);
                return true;
            });
            logger.LogInformation("Run {Id}: completed", id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Back to queued, so the next start does not take this graceful stop for the process dying under the run.
            await FinishAsync(r =>
            {
                if (r.Status != RunStatus.Running) return false;
                r.Status = RunStatus.Queued;
                return true;
            });
            logger.LogInformation("Run {Id}: interrupted by shutdown; it resumes from its checkpoint at the next start", id);
        }
        catch (OperationCanceledException) when (overQuota is not null)
        {
            logger.LogWarning("Run {Id}: stopped over its owner's disk quota", id);
            await FinishAsync(r =>
            {
                (r.Status, r.FinishedUtc, r.Error) = (RunStatus.Failed, DateTime.UtcNow, overQuota);
                return true;
            });
        }
        catch (OperationCanceledException)
        {
            await FinishAsync(r => { (r.Status, r.FinishedUtc) = (RunStatus.Cancelled, DateTime.UtcNow); return true; });
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {Id} failed", id);
            await FinishAsync(r =>
            {
                (r.Status, r.FinishedUtc, r.Error) = (RunStatus.Failed, DateTime.UtcNow, e.Message);
                return true;
            });
        }
        finally
        {
            await progress.FlushAsync();
            runs.StopTracking(id);
        }
    }

    /// <summary>
    /// Takes reports on the training thread without ever blocking it (the store and the pushes happen on the thread
    /// pool), and passes on at most one per <see cref="ProgressInterval"/>: the newest, so the last step always arrives.
    /// </summary>
    private sealed class ProgressRelay : IProgress<TrainingProgress>
    {
        private readonly Channel<TrainingProgress> latest =
            Channel.CreateBounded<TrainingProgress>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        private readonly Task relaying;

        public ProgressRelay(Func<TrainingProgress, Task> report) => relaying = Task.Run(async () =>
        {
            await foreach (var value in latest.Reader.ReadAllAsync())
            {
                await report(value);
                await Task.Delay(ProgressInterval);
            }
        });

        public void Report(TrainingProgress value) => latest.Writer.TryWrite(value);

        /// <summary>Stops taking reports and waits until the newest one is passed on.</summary>
        public Task FlushAsync()
        {
            latest.Writer.TryComplete();
            return relaying;
        }
    }
}
