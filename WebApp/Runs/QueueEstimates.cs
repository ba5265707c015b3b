using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>The queue page's estimates: each queued run's place in the start order and when it should start.</summary>
public sealed class QueueEstimates(IDbContextFactory<WebGenDb> dbFactory, ClassRules rules, IOptions<WebGenOptions> settings)
{
    /// <summary>The training speed assumed for a model no run has measured yet.</summary>
    public const double AssumedStepsPerSecond = 100;

    /// <summary>
    /// Every queued run with its place in the start order and when it is expected to start, estimated from the running
    /// runs' measured pace and each queued run's steps at its model's recent pace. A student sees their own runs in
    /// full and the others' only as places in the line.
    /// </summary>
    public async Task<IReadOnlyList<QueuedRunEstimate>> QueueAsync(Viewer viewer, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (queued, taken) = await StoredQueue.LoadAsync(db, rules, cancellationToken);
        var ids = queued.InArrivalOrder.Select(q => q.Run).Concat(taken.Select(t => t.Run)).ToList();
        var states = (await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(cancellationToken))
            .ToDictionary(r => r.Id, r => r.ToState());
        var pace = await TypicalPaceAsync(db, cancellationToken);
        double StepsPerSecond(RunState run) =>
            run.Progress is { StepsPerSecond: > 0 } p ? p.StepsPerSecond : pace.GetValueOrDefault(run.Options.Model, AssumedStepsPerSecond);
        var runningNow = taken.Where(t => states.ContainsKey(t.Run)).Select(t =>
        {
            var run = states[t.Run];
            return new RunningRun(t.User, t.Limited, TimeSpan.FromSeconds(Math.Max(0, run.Options.Iterations - run.StepsDone) / StepsPerSecond(run)));
        }).ToList();
        var plan = QueuePlan.Estimate(queued, runningNow, Math.Max(1, await LiveSlotsAsync(db, cancellationToken)),
            rules.IsClassMode ? rules.Current.MaxRunningPerUser : int.MaxValue,
            q => states.TryGetValue(q.Run, out var run) ? TimeSpan.FromSeconds(run.Options.Iterations / StepsPerSecond(run)) : TimeSpan.Zero,
            DateTime.UtcNow);
        return [.. plan.Where(p => states.ContainsKey(p.Run.Run)).Select(p =>
        {
            var run = states[p.Run.Run];
            return new QueuedRunEstimate(p.Position, p.ExpectedStartUtc, viewer.MaySee(run) ? run : null);
        })];
    }

    /// <summary>How many runs train at once: the slots of every live worker.</summary>
    public async Task<int> SlotsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await LiveSlotsAsync(db, cancellationToken);
    }

    private async Task<int> LiveSlotsAsync(WebGenDb db, CancellationToken cancellationToken)
    {
        var since = WorkerHeartbeat.LiveSince(settings.Value.Worker);
        return await db.Workers.AsNoTracking().Where(w => w.HeartbeatUtc > since).SumAsync(w => w.Slots, cancellationToken);
    }

    /// <summary>Each model's mean training pace over its last few completed runs.</summary>
    private static async Task<Dictionary<ModelKind, double>> TypicalPaceAsync(WebGenDb db, CancellationToken cancellationToken)
    {
        var recent = await db.Runs.AsNoTracking()
            .Where(r => r.Status == RunStatus.Completed && r.StepsPerSecond > 0)
            .OrderByDescending(r => r.FinishedUtc).Take(50)
            .Select(r => new { r.OptionsJson, r.StepsPerSecond }).ToListAsync(cancellationToken);
        return recent
            .GroupBy(r => JsonColumn.Read<TrainingOptions>(r.OptionsJson).Model)
            .ToDictionary(g => g.Key, g => g.Take(5).Average(r => r.StepsPerSecond));
    }
}
