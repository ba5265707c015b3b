using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Cluster;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// A run's changes of state after it is queued: the fair queue the worker's slots take runs from, cancelling (queued
/// or running), storing what a running run reports and telling its watchers, and queueing again after a restart.
/// </summary>
public sealed class RunLifecycle(IDbContextFactory<WebGenDb> dbFactory, IHubContext<RunsHub, IRunsClient> hub, ClassRules rules,
    IRunUpdateBus updates, ILogger<RunLifecycle> logger)
{
    /// <summary>A run found training at this many starts (its process died under it each time) is failed, not queued again.</summary>
    public const int MaxCrashes = 2;

    private readonly RunQueue queue = QueueFor(rules);
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> running = new();
    private readonly SemaphoreSlim updating = new(1, 1);

    internal RunQueue Queue => queue;

    private static RunQueue QueueFor(ClassRules rules)
    {
        var queue = new RunQueue(() => rules.Current.MaxRunningPerUser);
        rules.Changed += queue.LimitsChanged; // a higher running limit may let a waiting run start
        return queue;
    }

    /// <summary>
    /// Raised with every change pushed to the hub (throttled the same way), made on this process or any other front
    /// end's (<see cref="IRunUpdateBus"/>): the app's own pages listen here, other clients through <c>/hubs/runs</c>.
    /// </summary>
    public event Action<RunState>? Changed
    {
        add => updates.Received += value;
        remove => updates.Received -= value;
    }

    /// <summary>Tells a run's watchers everywhere its new state: the hub's (on every front end) and the pages'.</summary>
    internal async Task PublishAsync(RunState state)
    {
        try
        {
            await hub.Clients.Group(RunsHub.Group(state.Id)).RunUpdated(state);
        }
        catch (StackExchange.Redis.RedisException e)
        {
            // Stored already: the hub's watchers get it when Redis is back (RunCatchUp).
            logger.LogWarning("Run {Run} version {Version} not pushed to the hub: {Reason}", state.Id, state.Version, e.Message);
        }
        await updates.PublishAsync(state);
    }

    /// <summary>Puts newly stored runs in the queue and tells the pages; <paramref name="limited"/>: the class's limits hold them.</summary>
    internal async Task QueuedAsync(IEnumerable<RunState> runs, bool limited)
    {
        foreach (var run in runs)
        {
            queue.Enqueue(new QueuedRun(run.Id, run.OwnerId ?? "", limited));
            await updates.PublishAsync(run);
        }
    }

    /// <summary>A student's disk quota in bytes; null for a run no quota holds (the instructor's, or any in single mode).</summary>
    internal long? DiskQuotaFor(bool limited) => limited && rules.IsClassMode ? rules.Current.DiskQuotaBytes : null;

    /// <summary>Cancels a queued or running run; false when there is no such run or it has already finished.</summary>
    public async Task<bool> CancelAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (await CancelTrackedAsync(id))
            return true;
        var state = await UpdateAsync(id, r =>
        {
            if (r.Status != RunStatus.Queued) return false;
            (r.Status, r.FinishedUtc) = (RunStatus.Cancelled, DateTime.UtcNow);
            return true;
        }, cancellationToken);
        if (state is not null)
        {
            queue.Remove(id);
            return true;
        }
        // Not queued any more: the worker may have taken it up since the first look.
        return await CancelTrackedAsync(id);
    }

    private async Task<bool> CancelTrackedAsync(Guid id)
    {
        if (!running.TryGetValue(id, out var source))
            return false;
        try
        {
            await source.CancelAsync();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // it finished meanwhile
        }
    }

    internal CancellationTokenSource StartTracking(Guid id, CancellationToken stopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        running[id] = source;
        return source;
    }

    internal void StopTracking(Guid id)
    {
        if (running.TryRemove(id, out var source))
            source.Dispose();
    }

    /// <summary>Stores a running run's latest progress, appends it to its history and tells its watchers.</summary>
    internal Task<RunState?> RecordProgressAsync(Guid id, TrainingProgress p) =>
        UpdateAsync(id, (r, db) =>
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

    /// <summary>Applies a change to a stored run and tells its watchers; null when the change was refused.</summary>
    internal Task<RunState?> UpdateAsync(Guid id, Func<RunEntity, bool> change, CancellationToken cancellationToken = default) =>
        UpdateAsync(id, (r, _) => change(r), cancellationToken);

    private async Task<RunState?> UpdateAsync(Guid id, Func<RunEntity, WebGenDb, bool> change, CancellationToken cancellationToken = default)
    {
        // One change at a time, read to push: two that both start from "queued" (the worker starting the run, a
        // cancel) would otherwise both succeed and the last write win, and watchers get the states in stored order.
        await updating.WaitAsync(cancellationToken);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var entity = await db.Runs.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
            if (entity is null || !change(entity, db))
                return null;
            entity.Version++;
            await db.SaveChangesAsync(cancellationToken);
            var state = entity.ToState();
            await PublishAsync(state);
            return state;
        }
        finally
        {
            updating.Release();
        }
    }

    /// <summary>
    /// After a restart every queued run is queued again. A run still marked running had its process die under it (a
    /// graceful stop puts it back to queued): it is queued again too, unless that was its <see cref="MaxCrashes"/>th
    /// death, when it is failed instead — it might be what kills the server.
    /// </summary>
    internal async Task RequeueAfterRestartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var pending = await db.Runs.Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running).ToListAsync(cancellationToken);
        var instructors = await InstructorIdsAsync(db, cancellationToken);
        foreach (var run in pending.OrderBy(r => r.CreatedUtc))
        {
            if (run.Status == RunStatus.Running && ++run.Crashes >= MaxCrashes)
            {
                (run.Status, run.FinishedUtc) = (RunStatus.Failed, DateTime.UtcNow);
                run.Version++;
                run.Error = $"The server stopped twice while training this run (last at step {run.Step}); it is not retried again — queue it again to retry.";
                continue;
            }
            run.Status = RunStatus.Queued;
            run.Version++;
            var limited = rules.IsClassMode && run.OwnerId is not null && !instructors.Contains(run.OwnerId);
            queue.Enqueue(new QueuedRun(run.Id, run.OwnerId ?? "", limited));
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private static async Task<HashSet<string>> InstructorIdsAsync(WebGenDb db, CancellationToken cancellationToken) =>
        [.. await db.UserRoles.Where(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.Instructor))
            .Select(ur => ur.UserId).ToListAsync(cancellationToken)];
}
