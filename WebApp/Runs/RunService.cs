using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using WebGen.Shared;

namespace WebGen.WebApp.Runs;

/// <summary>Creating, listing and cancelling runs, and storing what they report; the worker drains the queue this fills.</summary>
public sealed class RunService(IDbContextFactory<RunsDb> dbFactory, IHubContext<RunsHub, IRunsClient> hub)
{
    private readonly Channel<Guid> queued = Channel.CreateUnbounded<Guid>();
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> running = new();

    internal ChannelReader<Guid> Queued => queued.Reader;

    /// <summary>
    /// Raised with every change pushed to the hub (throttled the same way): the app's own pages listen here
    /// in-process, other clients through <c>/hubs/runs</c>.
    /// </summary>
    public event Action<RunState>? Changed;

    /// <summary>
    /// Queues a run, or <paramref name="replicates"/> runs with seeds seed, seed+1, … as one group; returns the
    /// validation errors instead when the options are out of range.
    /// </summary>
    public async Task<(IReadOnlyList<RunState> Runs, IReadOnlyList<string> Errors)> CreateAsync(
        TrainingOptions options, int replicates = 1, CancellationToken cancellationToken = default)
    {
        var errors = TrainingOptionsRules.Validate(options).ToList();
        if (TrainingOptionsRules.ValidateReplicates(replicates) is { } replicateError)
            errors.Add(replicateError);
        if (errors.Count > 0)
            return ([], errors);
        var group = Guid.NewGuid();
        var now = DateTime.UtcNow;
        var entities = Enumerable.Range(0, replicates).Select(i => new RunEntity
        {
            Id = Guid.NewGuid(),
            Group = group,
            OptionsJson = RunEntity.Serialize(options with { Seed = options.Seed + i, Run = options.Run + i }),
            Status = RunStatus.Queued,
            CreatedUtc = now.AddTicks(i), // keeps replicates in seed order
        }).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Runs.AddRange(entities);
        await db.SaveChangesAsync(cancellationToken);
        var states = entities.Select(e => e.ToState()).ToList();
        foreach (var state in states)
        {
            queued.Writer.TryWrite(state.Id);
            Changed?.Invoke(state);
        }
        return (states, []);
    }

    public async Task<RunState?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken))?.ToState();
    }

    public async Task<IReadOnlyList<RunState>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var runs = await db.Runs.AsNoTracking().ToListAsync(cancellationToken);
        return [.. runs.OrderByDescending(r => r.CreatedUtc).Select(r => r.ToState())];
    }

    /// <summary>The run's metric history in step order (empty for an unknown run).</summary>
    public async Task<IReadOnlyList<MetricPoint>> HistoryAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var points = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == id).OrderBy(p => p.Step).ToListAsync(cancellationToken);
        return [.. points.Select(p => p.ToPoint())];
    }

    /// <summary>Where a finished run's files are: its final checkpoint and grid (null while it has none).</summary>
    public async Task<(string? Checkpoint, string? Grid)> ArtifactsAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        return (run?.Checkpoint, run?.Grid);
    }

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
        // Not queued any more: the worker may have taken it up since the first look.
        return state is not null || await CancelTrackedAsync(id);
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

    private async Task<RunState?> UpdateAsync(Guid id, Func<RunEntity, RunsDb, bool> change, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var entity = await db.Runs.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (entity is null || !change(entity, db))
            return null;
        await db.SaveChangesAsync(cancellationToken);
        var state = entity.ToState();
        await hub.Clients.Group(RunsHub.Group(id)).RunUpdated(state);
        Changed?.Invoke(state);
        return state;
    }

    /// <summary>
    /// Creates the database on first start and checks that an existing one has today's tables; runs before the app
    /// takes requests, so a database the app cannot use stops it at once with the reason.
    /// </summary>
    public async Task CreateStoreAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.EnsureCreatedAsync(cancellationToken);
        try
        {
            await db.Runs.AsNoTracking().Take(1).ToListAsync(cancellationToken);
            await db.MetricPoints.AsNoTracking().Take(1).ToListAsync(cancellationToken);
            await db.Reviews.AsNoTracking().Take(1).ToListAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            throw new InvalidOperationException(
                $"The runs database ({db.Database.GetDbConnection().DataSource}) was made by an older WebGen and lacks today's tables " +
                $"({e.Message}). Move it aside (its runs folder can stay) and start again.", e);
        }
    }

    /// <summary>After a restart: runs that were running go back to the queue, and every queued run is queued again.</summary>
    internal async Task RequeueAfterRestartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var pending = await db.Runs.Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running).ToListAsync(cancellationToken);
        foreach (var run in pending.OrderBy(r => r.CreatedUtc))
        {
            run.Status = RunStatus.Queued;
            queued.Writer.TryWrite(run.Id);
        }
        await db.SaveChangesAsync(cancellationToken);
    }
}
