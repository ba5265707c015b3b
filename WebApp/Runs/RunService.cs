using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using WebGen.Shared;

namespace WebGen.WebApp.Runs;

/// <summary>Creating, listing and cancelling runs; the worker drains the queue this fills.</summary>
public sealed class RunService(IDbContextFactory<RunsDb> dbFactory, IHubContext<RunsHub, IRunsClient> hub)
{
    private readonly Channel<Guid> queued = Channel.CreateUnbounded<Guid>();
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> running = new();

    internal ChannelReader<Guid> Queued => queued.Reader;

    /// <summary>Queues a run; returns the validation errors instead when the options are out of range.</summary>
    public async Task<(RunState? Run, IReadOnlyList<string> Errors)> CreateAsync(TrainingOptions options, CancellationToken cancellationToken)
    {
        var errors = TrainingOptionsRules.Validate(options);
        if (errors.Count > 0)
            return (null, errors);
        var entity = new RunEntity
        {
            Id = Guid.NewGuid(),
            OptionsJson = RunEntity.Serialize(options),
            Status = RunStatus.Queued,
            CreatedUtc = DateTime.UtcNow,
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Runs.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        queued.Writer.TryWrite(entity.Id);
        return (entity.ToState(), []);
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

    /// <summary>Cancels a queued or running run; false when there is no such run or it has already finished.</summary>
    public async Task<bool> CancelAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (running.TryGetValue(id, out var source))
        {
            await source.CancelAsync();
            return true;
        }
        var state = await UpdateAsync(id, r =>
        {
            if (r.Status != RunStatus.Queued) return false;
            (r.Status, r.FinishedUtc) = (RunStatus.Cancelled, DateTime.UtcNow);
            return true;
        }, cancellationToken);
        return state is not null;
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

    /// <summary>Applies a change to a stored run and tells its watchers; null when the change was refused.</summary>
    internal async Task<RunState?> UpdateAsync(Guid id, Func<RunEntity, bool> change, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var entity = await db.Runs.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (entity is null || !change(entity))
            return null;
        await db.SaveChangesAsync(cancellationToken);
        var state = entity.ToState();
        await hub.Clients.Group(RunsHub.Group(id)).RunUpdated(state);
        return state;
    }

    /// <summary>Creates the database on first start; runs before the app takes requests.</summary>
    public async Task CreateStoreAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.EnsureCreatedAsync(cancellationToken);
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
