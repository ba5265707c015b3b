using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Gallery;

namespace WebGen.WebApp.Runs;

/// <summary>
/// One run trained as a job of the job system, on whichever worker fetched it. The worker first takes the run in the
/// store (its <see cref="RunEntity.Attempt"/> goes up; a run another live worker trains is left alone), resumes from
/// its checkpoint, stores progress and pushes it to watchers at most a few times a second, and polls the store for a
/// cancel and for having lost the run. Every write carries the attempt, so a worker that lost its run writes nothing
/// more. A shutdown puts the run back in the queue; a student's run whose folder grows over their quota is failed.
/// </summary>
public sealed class RunJob(
    RunLifecycle runs, RunGallery gallery, WorkerHeartbeat worker, IDbContextFactory<WebGenDb> dbFactory, IOptions<WebGenOptions> options, ILogger<RunJob> logger)
{
    /// <summary>The job system's queue of training runs.</summary>
    public const string Queue = "runs";

    /// <summary>The shortest gap between two progress pushes of one run.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the worker reads whether its run was cancelled or taken over: a cancel reaches it within this.</summary>
    public static readonly TimeSpan CancelPollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The shortest gap between two measures of a student's run folder against their disk quota.</summary>
    public static readonly TimeSpan DiskCheckInterval = TimeSpan.FromSeconds(2);

    /// <param name="stopping">The job system's shutdown token: the worker is stopping.</param>
    public async Task ExecuteAsync(Guid runId, CancellationToken stopping)
    {
        var (attempt, taken, limited, recorded) = await TakeAsync(runId, stopping);
        if (taken is null)
            return;
        await TrainAsync(runId, attempt, taken, limited, recorded, stopping);
    }

    /// <summary>
    /// Takes the run for this worker; null when it is not running or another live worker trains it. With it comes the
    /// checkpoint the store records for it (its file under the runs folder), to resume from.
    /// </summary>
    private async Task<(int Attempt, RunState? Run, bool Limited, SavedCheckpoint? Recorded)> TakeAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var since = WorkerHeartbeat.LiveSince(options.Value.Worker);
        var live = await db.Workers.AsNoTracking().Where(w => w.HeartbeatUtc > since).Select(w => w.Id).ToListAsync(cancellationToken);
        var instructorRun = await db.UserRoles.AnyAsync(ur => db.Runs.Any(r => r.Id == id && r.OwnerId == ur.UserId)
            && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Accounts.Roles.Instructor), cancellationToken);
        var attempt = 0;
        var checkpointStep = 0;
        string? checkpointFile = null;
        string? owner = null;
        var state = await runs.UpdateAsync(id, attempt: null, r =>
        {
            if (r.Status != RunStatus.Running || (r.WorkerId is { } training && live.Contains(training)))
                return false;
            (r.Attempt, r.WorkerId) = (r.Attempt + 1, worker.Id);
            if (r.CancelRequested)
                (r.Status, r.FinishedUtc) = (RunStatus.Cancelled, DateTime.UtcNow);
            (attempt, checkpointStep, checkpointFile, owner) = (r.Attempt, r.CheckpointStep, r.CheckpointFile, r.OwnerId);
            return true;
        }, cancellationToken);
        if (state is not { Status: RunStatus.Running })
            return (0, null, false, null);
        // Every step once in the history: what an earlier attempt reported past the checkpoint it resumes from goes.
        var resumeStep = checkpointFile is null ? 0 : checkpointStep;
        await db.MetricPoints.Where(p => p.RunId == id && p.Step > resumeStep).ExecuteDeleteAsync(cancellationToken);
        var recorded = checkpointFile is null ? null : new SavedCheckpoint(resumeStep, Path.Combine(options.Value.RunsFolder, checkpointFile));
        return (attempt, state, owner is not null && !instructorRun, recorded);
    }

    private async Task TrainAsync(Guid id, int attempt, RunState started, bool limited, SavedCheckpoint? recorded, CancellationToken stopping)
    {
        var settings = options.Value;
        var diskQuota = runs.DiskQuotaFor(limited);
        var folder = settings.RunFolder(id);
        var trainingOptions = started.Options with { CheckpointEvery = Math.Min(started.Options.CheckpointEvery, settings.CheckpointEvery) };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        string? overQuota = null;
        var lost = false;
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
        var watcher = WatchAsync(id, attempt, cancel, () => lost = true, watching.Token);
        var sinceDiskCheck = System.Diagnostics.Stopwatch.StartNew();
        using var progress = new ProgressRelay(async p =>
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
                await runs.RecordProgressAsync(id, attempt, p);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Run {Id}: progress at step {Step} was not stored", id, p.Step); // training goes on
            }
        });
        // Each preview is stored off the training thread, after the one before it; the final state waits for the last
        // (an SSVAE's last test accuracy was dropped when the run was recorded finished first).
        var previewStored = Task.CompletedTask;
        async Task StorePreviewAsync(Task before, PreviewSnapshot snapshot)
        {
            await before;
            try
            {
                await runs.UpdateAsync(id, attempt, r =>
                {
                    r.PreviewStep = snapshot.Step;
                    if (snapshot.TestAccuracy is { } accuracy)
                        r.TestAccuracyJson = JsonColumn.Write(r.TestAccuracy.Where(p => p.Step < snapshot.Step).Append(new(snapshot.Step, accuracy)));
                    return r.Status == RunStatus.Running;
                });
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Run {Id}: the preview of step {Step} was not stored", id, snapshot.Step); // training goes on
            }
        }
        var preview = new SamplePreview(settings.PreviewEvery, snapshot =>
        {
            gallery.Add(id, snapshot.Step, snapshot.Png);
            var before = previewStored;
            previewStored = Task.Run(() => StorePreviewAsync(before, snapshot));
        });
        // Called on the training thread, which waits for the store: the checkpoint it supersedes stays until this one
        // is recorded (fenced by the attempt), so whichever worker resumes the run finds the recorded file.
        bool Record(SavedCheckpoint saved)
        {
            try
            {
                return runs.RecordCheckpointAsync(id, attempt, saved.Step, Path.GetRelativePath(settings.RunsFolder, saved.Path), cancel.Token)
                    .GetAwaiter().GetResult() is not null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Run {Id}: the checkpoint of step {Step} was not recorded; the one before it stays", id, saved.Step);
                return false;
            }
        }
        // The last progress and preview are stored, and the watch ends, before the final state is told to anyone.
        async Task StopReportingAsync()
        {
            await progress.FlushAsync();
            await previewStored;
            await watching.CancelAsync();
            await watcher;
        }
        async Task FinishAsync(Func<RunEntity, bool> change)
        {
            await StopReportingAsync();
            await runs.UpdateAsync(id, attempt, change, CancellationToken.None);
        }
        try
        {
            logger.LogInformation("Run {Id}: attempt {Attempt} on worker {Worker} trains {Model} for {Iterations} steps (from the checkpoint of step {Step})",
                id, attempt, worker.Id, trainingOptions.Model, trainingOptions.Iterations, recorded?.Step ?? 0);
            var result = await Task.Factory.StartNew(
                () => Experiment.TrainAndEvaluate(trainingOptions, settings.DataFolder, folder, progress, cancel.Token, preview: preview,
                    checkpoints: new CheckpointRecord(recorded, Record)),
                cancel.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await FinishAsync(r =>
            {
                (r.Status, r.FinishedUtc, r.WorkerId) = (RunStatus.Completed, DateTime.UtcNow, null);
                (r.Step, r.CheckpointStep, r.MetricsJson, r.Checkpoint, r.Grid) =
                    (r.Options.Iterations, r.Options.Iterations, JsonColumn.Write(result.Metrics), result.Checkpoint, result.Grid);
                return true;
            });
            logger.LogInformation("Run {Id}: completed", id);
        }
        catch (OperationCanceledException) when (lost)
        {
            await FinishAsync(_ => false);
            logger.LogWarning("Run {Id}: attempt {Attempt} stopped: another worker took the run", id, attempt);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Back to the queue, to resume from its checkpoint on the next free slot of any worker.
            await FinishAsync(r =>
            {
                if (r.Status != RunStatus.Running) return false;
                (r.Status, r.WorkerId) = (RunStatus.Queued, null);
                return true;
            });
            logger.LogInformation("Run {Id}: interrupted by the worker's shutdown; it resumes from its checkpoint", id);
        }
        catch (OperationCanceledException) when (overQuota is not null)
        {
            logger.LogWarning("Run {Id}: stopped over its owner's disk quota", id);
            await FinishAsync(r =>
            {
                (r.Status, r.FinishedUtc, r.Error, r.WorkerId) = (RunStatus.Failed, DateTime.UtcNow, overQuota, null);
                return true;
            });
        }
        catch (OperationCanceledException)
        {
            await FinishAsync(r => { (r.Status, r.FinishedUtc, r.WorkerId) = (RunStatus.Cancelled, DateTime.UtcNow, null); return true; });
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {Id} failed", id);
            await FinishAsync(r =>
            {
                (r.Status, r.FinishedUtc, r.Error, r.WorkerId) = (RunStatus.Failed, DateTime.UtcNow, e.Message, null);
                return true;
            });
        }
        finally
        {
            // Each path above has stopped reporting already, unless it threw first; stopping again does nothing.
            await StopReportingAsync();
        }
    }

    /// <summary>
    /// Reads the run every <see cref="CancelPollInterval"/> and stops the training when a cancel was asked for, or
    /// when another worker took the run (<paramref name="lost"/> is called first).
    /// </summary>
    private async Task WatchAsync(Guid id, int attempt, CancellationTokenSource cancel, Action lost, CancellationToken watching)
    {
        try
        {
            using var timer = new PeriodicTimer(CancelPollInterval);
            while (await timer.WaitForNextTickAsync(watching))
            {
                try
                {
                    await using var db = await dbFactory.CreateDbContextAsync(watching);
                    var run = await db.Runs.AsNoTracking().Where(r => r.Id == id)
                        .Select(r => new { r.Attempt, r.Status, r.CancelRequested, r.WorkerId }).SingleOrDefaultAsync(watching);
                    // Another worker took it, or the dispatcher took this worker for dead and handed the run out again.
                    if (run is null || run.Attempt != attempt || run.Status != RunStatus.Running || run.WorkerId != worker.Id)
                    {
                        lost();
                        await cancel.CancelAsync();
                        return;
                    }
                    if (run.CancelRequested)
                    {
                        await cancel.CancelAsync();
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Run {Id}: the store could not be read for a cancel; reading again", id); // the database may be restarting
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the run ended
        }
    }

    /// <summary>
    /// Takes reports on the training thread without ever blocking it (the store and the pushes happen on the thread
    /// pool), and passes on at most one per <see cref="ProgressInterval"/>: the newest, so the last step always arrives.
    /// </summary>
    private sealed class ProgressRelay : IProgress<TrainingProgress>, IDisposable
    {
        private readonly Channel<TrainingProgress> latest =
            Channel.CreateBounded<TrainingProgress>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        private readonly CancellationTokenSource flushing = new();
        private readonly Task relaying;

        public ProgressRelay(Func<TrainingProgress, Task> report) => relaying = Task.Run(async () =>
        {
            await foreach (var value in latest.Reader.ReadAllAsync())
            {
                await report(value);
                try
                {
                    await Task.Delay(ProgressInterval, flushing.Token);
                }
                catch (OperationCanceledException)
                {
                    // flushing: the newest report goes at once
                }
            }
        });

        public void Report(TrainingProgress value) => latest.Writer.TryWrite(value);

        /// <summary>Stops taking reports and waits until the newest one is passed on (without the pause between two).</summary>
        public async Task FlushAsync()
        {
            latest.Writer.TryComplete();
            await flushing.CancelAsync();
            await relaying;
        }

        public void Dispose() => flushing.Dispose();
    }
}
