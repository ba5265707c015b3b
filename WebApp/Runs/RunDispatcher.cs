using System.Threading.Channels;
using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Admission, WebGen's own since the job system's queues are first-in first-out: in one cluster-wide step (an
/// advisory lock on PostgreSQL, this process's lock on SQLite, where there is only one process) it hands a dead
/// worker's runs out again and then, while live workers have free slots, the next run of the fair queue to the job
/// system. Every process runs it, on each change of a run it stored and every <see cref="PollInterval"/>.
/// </summary>
public sealed class RunDispatcher(
    IDbContextFactory<WebGenDb> dbFactory, RunLifecycle runs, ClassRules rules, IBackgroundJobClient jobs,
    IOptions<WebGenOptions> options, ILogger<RunDispatcher> logger) : BackgroundService
{
    /// <summary>How often the step runs without a local change (another process's changes, a worker's death).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The PostgreSQL advisory lock key of the admission step (the migrator's plus one).</summary>
    public const long PostgresLockKey = DatabaseMigrator.PostgresLockKey + 1;

    private readonly Channel<bool> wakeUps = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim local = new(1, 1);

    private void Wake() => wakeUps.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        runs.Changed += state => { if (state.Status != RunStatus.Running || state.Progress is null) Wake(); }; // not on progress
        rules.Changed += Wake; // a higher running limit may let a waiting run start
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DispatchAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Admission step failed; trying again"); // the database may be restarting
            }
            using var pause = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            pause.CancelAfter(PollInterval);
            try
            {
                await wakeUps.Reader.ReadAsync(pause.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // the poll interval passed
            }
        }
    }

    /// <summary>One admission step under the cluster-wide lock.</summary>
    internal async Task DispatchAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var postgres = db.Database.IsNpgsql();
        await using var transaction = postgres ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        if (postgres)
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({PostgresLockKey})", cancellationToken);
        else
            await local.WaitAsync(cancellationToken);
        try
        {
            var since = WorkerHeartbeat.LiveSince(options.Value.Worker);
            var live = await db.Workers.AsNoTracking().Where(w => w.HeartbeatUtc > since).ToListAsync(cancellationToken);
            var capacity = live.Sum(w => w.Slots);
            if (capacity == 0)
                return; // nobody to train: runs wait, and nothing is taken for dead
            await HandOutAgainAsync(db, [.. live.Select(w => w.Id)], since, cancellationToken);
            await AdmitAsync(db, capacity, cancellationToken);
        }
        finally
        {
            if (!postgres)
                local.Release();
        }
    }

    /// <summary>
    /// A running run whose worker stopped beating (or one handed out a lease ago that no worker took) goes to the job
    /// system again: the worker that takes it resumes from its checkpoint. A run whose worker died
    /// <see cref="RunLifecycle.MaxCrashes"/> times is failed instead.
    /// </summary>
    private async Task HandOutAgainAsync(WebGenDb db, HashSet<string> live, DateTime since, CancellationToken cancellationToken)
    {
        var orphans = (await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Running)
                .Select(r => new { r.Id, r.WorkerId, r.HandedOutUtc }).ToListAsync(cancellationToken))
            .Where(r => r.WorkerId is { } worker ? !live.Contains(worker) : r.HandedOutUtc < since);
        foreach (var orphan in orphans)
        {
            var died = orphan.WorkerId is not null;
            var state = await runs.UpdateAsync(orphan.Id, attempt: null, r =>
            {
                if (r.Status != RunStatus.Running || r.WorkerId != orphan.WorkerId)
                    return false;
                if (died && ++r.Crashes >= RunLifecycle.MaxCrashes)
                {
                    (r.Status, r.FinishedUtc, r.WorkerId) = (RunStatus.Failed, DateTime.UtcNow, null);
                    r.Error = $"The worker training this run died {r.Crashes} times (last at step {r.Step}); it is not retried again — queue it again to retry.";
                    return true;
                }
                (r.WorkerId, r.HandedOutUtc) = (null, DateTime.UtcNow);
                return true;
            }, cancellationToken);
            if (state is { Status: RunStatus.Running })
            {
                logger.LogWarning("Run {Id}: worker {Worker} is gone; handed out again", orphan.Id, orphan.WorkerId ?? "(none took it)");
                Enqueue(orphan.Id);
            }
        }
    }

    /// <summary>While the live workers have a free slot, the fair queue's next run that may start goes to the job system.</summary>
    private async Task AdmitAsync(WebGenDb db, int capacity, CancellationToken cancellationToken)
    {
        var (queue, running) = await StoredQueue.LoadAsync(db, rules, cancellationToken);
        var busy = running.ToList();
        var maxRunning = rules.IsClassMode ? rules.Current.MaxRunningPerUser : int.MaxValue;
        while (busy.Count < capacity
            && queue.Take(run => !run.Limited || busy.Count(b => b.User == run.User) < maxRunning) is { } next)
        {
            var state = await runs.UpdateAsync(next.Run, attempt: null, r =>
            {
                if (r.Status != RunStatus.Queued) return false; // cancelled meanwhile
                (r.Status, r.WorkerId, r.CancelRequested) = (RunStatus.Running, null, false);
                r.AdmittedUtc = r.HandedOutUtc = DateTime.UtcNow;
                return true;
            }, cancellationToken);
            if (state is null)
                continue;
            busy.Add(next);
            Enqueue(next.Run);
        }
    }

    private void Enqueue(Guid run) =>
        jobs.Create<RunJob>(job => job.ExecuteAsync(run, CancellationToken.None), new EnqueuedState(RunJob.Queue));
}
