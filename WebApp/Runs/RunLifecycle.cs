using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Cluster;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// A run's changes of state after it is queued, whichever process makes them: each is a versioned write to the store
/// (two writers never both win), a worker's writes are fenced by its attempt, and every stored change is told to the
/// run's watchers through <see cref="PublishAsync"/>. Cancelling a running run asks its worker, wherever it is, through
/// the store.
/// </summary>
public sealed class RunLifecycle(IDbContextFactory<WebGenDb> dbFactory, IHubContext<RunsHub, IRunsClient> hub, ClassRules rules,
    IUpdateBus updates, ILogger<RunLifecycle> logger)
{
    /// <summary>A run whose worker died under it this many times is failed, not handed out again: it might be what kills workers.</summary>
    public const int MaxCrashes = 2;

    /// <summary>How often a write that lost a race with another writer is read and tried again before it gives up.</summary>
    private const int WriteTries = 5;

    /// <summary>
    /// Raised with every change of a run stored by this process or any other front end's (<see cref="IUpdateBus"/>):
    /// the app's own pages listen here, other clients through <c>/hubs/runs</c>, and the dispatcher wakes on it.
    /// </summary>
    public event Action<RunState>? Changed
    {
        add => updates.Received += value;
        remove => updates.Received -= value;
    }

    /// <summary>
    /// The one place a run's new state goes out to its watchers everywhere: the hub's group (on every front end, through
    /// the backplane) and the pages' <see cref="Changed"/> (through the bus).
    /// </summary>
    public async Task PublishAsync(RunState state)
    {
        try
        {
            await hub.Clients.Group(RunsHub.Group(state.Id)).RunUpdated(state);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Stored already: the hub's watchers reload it, or get it when Redis is back (CatchUp).
            logger.LogWarning("Run {Run} version {Version} not pushed to the hub: {Reason}", state.Id, state.Version, e.Message);
        }
        await updates.PublishAsync(state);
    }

    // One change at a time in this process, read to push, so its watchers get its states in stored order.
    private readonly SemaphoreSlim updating = new(1, 1);

    /// <summary>Tells newly stored runs to the pages; the dispatcher hands them out when a slot is free.</summary>
    internal async Task QueuedAsync(IEnumerable<RunState> runs)
    {
        foreach (var run in runs)
            await PublishAsync(run);
    }

    /// <summary>A student's disk quota in bytes; null for a run no quota holds (the instructor's, or any in single mode).</summary>
    internal long? DiskQuotaFor(bool limited) => limited && rules.IsClassMode ? rules.Current.DiskQuotaBytes : null;

    /// <summary>
    /// Cancels a queued run at once, or asks the worker training a running one to stop (it polls the store every
    /// <see cref="RunJob.CancelPollInterval"/>); false when there is no such run or it has already finished.
    /// </summary>
    public async Task<bool> CancelAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var state = await UpdateAsync(id, attempt: null, (r, _) =>
        {
            switch (r.Status)
            {
                case RunStatus.Queued:
                    (r.Status, r.FinishedUtc) = (RunStatus.Cancelled, DateTime.UtcNow);
                    return true;
                case RunStatus.Running:
                    r.CancelRequested = true;
                    return true;
                default:
                    return false;
            }
        }, cancellationToken);
        return state is not null;
    }

    /// <summary>Stores a running run's latest progress, appends it to its history and tells its watchers; refused once <paramref name="attempt"/> moved on.</summary>
    internal Task<RunState?> RecordProgressAsync(Guid id, int attempt, TrainingProgress p) =>
        UpdateAsync(id, attempt, (r, db) =>
        {
            if (r.Status != RunStatus.Running) return false;
            (r.Step, r.Loss, r.Kl, r.Rec, r.StepsPerSecond) = (p.Step, p.Loss, p.Kl, p.Rec, p.StepsPerSecond);
            db.MetricPoints.Add(new MetricPointEntity
            {
                RunId = id,
                Step = p.Step,
                Loss = p.Loss,
                Kl = p.Kl,
                Rec = p.Rec,
                StepsPerSecond = p.StepsPerSecond,
                AtUtc = DateTime.UtcNow,
            });
            return true;
        });

    /// <summary>
    /// Records the run's newest checkpoint: its step and its model file relative to the runs folder, where a worker
    /// that takes the run over resumes; refused once <paramref name="attempt"/> moved on.
    /// </summary>
    internal Task<RunState?> RecordCheckpointAsync(Guid id, int attempt, int step, string file, CancellationToken cancellationToken) =>
        UpdateAsync(id, attempt, r =>
        {
            if (r.Status != RunStatus.Running) return false;
            (r.CheckpointStep, r.CheckpointFile) = (step, file);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Applies a change to a stored run, raises its <see cref="RunEntity.Version"/> and tells its watchers; null when
    /// the change was refused. With an <paramref name="attempt"/> (a worker's write) it is refused once another
    /// worker took the run. A write that raced another process's is read again and retried.
    /// </summary>
    internal async Task<RunState?> UpdateAsync(Guid id, int? attempt, Func<RunEntity, WebGenDb, bool> change, CancellationToken cancellationToken = default)
    {
        await updating.WaitAsync(cancellationToken);
        try
        {
            return await WriteAsync(id, attempt, change, cancellationToken);
        }
        finally
        {
            updating.Release();
        }
    }

    private async Task<RunState?> WriteAsync(Guid id, int? attempt, Func<RunEntity, WebGenDb, bool> change, CancellationToken cancellationToken)
    {
        for (var tries = 1; ; tries++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var entity = await db.Runs.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
            if (entity is null || (attempt is { } mine && entity.Attempt != mine) || !change(entity, db))
                return null;
            entity.Version++;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException) when (tries < WriteTries)
            {
                continue; // another process wrote the run since it was read: read it again
            }
            var state = entity.ToState();
            await PublishAsync(state);
            return state;
        }
    }

    internal Task<RunState?> UpdateAsync(Guid id, int? attempt, Func<RunEntity, bool> change, CancellationToken cancellationToken = default) =>
        UpdateAsync(id, attempt, (r, _) => change(r), cancellationToken);
}
