using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Compute.Training;
using WebGen.Shared;
using WebGen.WebApp.Accounts;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Creating, listing and cancelling runs, and storing what they report; the worker's slots take runs from the fair
/// queue this fills. In class mode students' runs are held to the instructor's limits and disk quota; everyone's are
/// held to the worker's memory budget.
/// </summary>
public sealed class RunService(
    IDbContextFactory<RunsDb> dbFactory, IHubContext<RunsHub, IRunsClient> hub, ClassRules rules, IOptions<WebGenOptions> settings)
{
    /// <summary>The training speed assumed for a model no run has measured yet (the queue page's estimate only).</summary>
    public const double AssumedStepsPerSecond = 100;

    /// <summary>How long a student's measured disk usage is reused before their run folders are measured again.</summary>
    public static readonly TimeSpan DiskUsageLifetime = TimeSpan.FromSeconds(5);

    /// <summary>A run found training at this many starts (its process died under it each time) is failed, not queued again.</summary>
    public const int MaxCrashes = 2;

    private readonly RunQueue queue = QueueFor(rules);
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> running = new();
    private readonly SemaphoreSlim creating = new(1, 1);
    private readonly SemaphoreSlim updating = new(1, 1);
    private readonly ConcurrentDictionary<string, (long Bytes, DateTime MeasuredUtc)> diskUsage = new();

    internal RunQueue Queue => queue;

    private static RunQueue QueueFor(ClassRules rules)
    {
        var queue = new RunQueue(() => rules.Current.MaxRunningPerUser);
        rules.Changed += queue.LimitsChanged; // a higher running limit may let a waiting run start
        return queue;
    }

    /// <summary>
    /// Raised with every change pushed to the hub (throttled the same way): the app's own pages listen here
    /// in-process, other clients through <c>/hubs/runs</c>.
    /// </summary>
    public event Action<RunState>? Changed;

    /// <summary>
    /// Queues a run for <paramref name="by"/>, or <paramref name="replicates"/> runs with seeds seed, seed+1, … as one
    /// group; returns the refusals instead, keyed by field name ("" for one about the request as a whole).
    /// </summary>
    public async Task<(IReadOnlyList<RunState> Runs, IReadOnlyDictionary<string, string[]> Errors)> CreateAsync(
        Viewer by, TrainingOptions options, int replicates = 1, CancellationToken cancellationToken = default)
    {
        var errors = Hyperparameters.Validate(options).ToDictionary(e => e.Key, e => e.Value);
        if (Hyperparameters.RefuseReplicates("replicates", replicates) is { } replicateError)
            errors["replicates"] = replicateError;
        var limited = rules.IsClassMode && by.IsLimited;
        if (limited)
            foreach (var (field, error) in rules.Current.ValidateRun(options))
                errors.TryAdd(field, error);
        if (errors.Count > 0)
            return ([], errors.ToDictionary(e => e.Key, e => new[] { e.Value }));
        if (TooLargeForTheWorker(options) is { } tooLarge)
            return ([], Refused(tooLarge));
        if (limited && await OverDiskQuotaAsync(by.UserId!, cancellationToken) is { } overQuota)
            return ([], Refused(overQuota));
        var group = Guid.NewGuid();
        var now = DateTime.UtcNow;
        var entities = Enumerable.Range(0, replicates).Select(i => new RunEntity
        {
            Id = Guid.NewGuid(),
            Group = group,
            OptionsJson = RunEntity.Serialize(options with { Seed = options.Seed + i, Run = options.Run + i }),
            Status = RunStatus.Queued,
            CreatedUtc = now.AddTicks(i), // keeps replicates in seed order
            OwnerId = by.UserId,
            OwnerName = by.Name,
        }).ToList();
        // One creation at a time: two requests of one student must not both fit under the queued limit.
        await creating.WaitAsync(cancellationToken);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (limited)
            {
                var waiting = await db.Runs.CountAsync(r => r.OwnerId == by.UserId && r.Status == RunStatus.Queued, cancellationToken);
                var allowed = rules.Current.MaxQueuedPerUser;
                if (waiting + replicates > allowed)
                    return ([], Refused($"You have {waiting} run{(waiting == 1 ? "" : "s")} queued and may have at most {allowed} " +
                        $"queued at once{(replicates > 1 ? $", so {replicates} more do not fit" : "")}: wait for one to start, or cancel one."));
            }
            db.Runs.AddRange(entities);
            await db.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            creating.Release();
        }
        var states = entities.Select(e => e.ToState()).ToList();
        foreach (var state in states)
        {
            queue.Enqueue(new QueuedRun(state.Id, state.OwnerId ?? "", limited));
            Changed?.Invoke(state);
        }
        return (states, new Dictionary<string, string[]>());
    }

    /// <summary>A refusal of the request as a whole, under the empty key (ASP.NET Core's convention for such errors).</summary>
    private static Dictionary<string, string[]> Refused(string error) => new() { [""] = [error] };

    /// <summary>The refusal of a run whose estimated peak memory is over the worker's budget for one run (everyone's runs).</summary>
    private string? TooLargeForTheWorker(TrainingOptions options)
    {
        var needed = MemoryEstimate.For(options).RunBytes;
        var budget = settings.Value.Worker.MemoryBudgetBytes(settings.Value.MaxConcurrentRuns);
        if (needed <= budget)
            return null;
        var (article, name) = options.Model switch
        {
            ModelKind.Ssvae => ("an", "SSVAE"),
            ModelKind.Fsvae => ("an", "FSVAE"),
            _ => ("a", options.Model.ToString().ToUpperInvariant()),
        };
        var (sizes, fields) = options.Model == ModelKind.Gmvae
            ? ($"batch {options.BatchSize}, z {options.ZDim} and k {options.K}", "the batch size, z or k")
            : ($"batch {options.BatchSize} and z {options.ZDim}", "the batch size or z");
        return $"{article} {name} with {sizes} needs about {ByteSize.Describe(needed)} at its peak; " +
            $"this server's budget for a run is {ByteSize.Describe(budget)}. Lower {fields}.";
    }

    /// <summary>The refusal of a student whose run folders already use their disk quota or more.</summary>
    private async Task<string?> OverDiskQuotaAsync(string userId, CancellationToken cancellationToken)
    {
        var used = await DiskUsageAsync(userId, cancellationToken);
        var quota = rules.Current.DiskQuotaBytes;
        return used < quota
            ? null
            : $"Your runs use {ByteSize.Describe(used)} of disk and your quota is {ByteSize.Describe(quota)}: " +
                "ask the instructor to delete some of your runs or to raise your quota.";
    }

    /// <summary>The bytes in the folders of a user's runs, measured again once the last measure is a few seconds old.</summary>
    private async Task<long> DiskUsageAsync(string userId, CancellationToken cancellationToken)
    {
        if (diskUsage.TryGetValue(userId, out var cached) && DateTime.UtcNow - cached.MeasuredUtc < DiskUsageLifetime)
            return cached.Bytes;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ids = await db.Runs.AsNoTracking().Where(r => r.OwnerId == userId).Select(r => r.Id).ToListAsync(cancellationToken);
        var bytes = ids.Sum(id => FolderBytes(settings.Value.RunFolder(id)));
        diskUsage[userId] = (bytes, DateTime.UtcNow);
        return bytes;
    }

    /// <summary>The bytes of the files in a run's folder (0 when it has none yet, or it vanished while being measured).</summary>
    internal static long FolderBytes(string folder)
    {
        try
        {
            return Directory.Exists(folder)
                ? new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
                : 0;
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>A student's disk quota in bytes; null for a run no quota holds (the instructor's, or any in single mode).</summary>
    internal long? DiskQuotaFor(bool limited) => limited && rules.IsClassMode ? rules.Current.DiskQuotaBytes : null;

    public async Task<RunState?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken))?.ToState();
    }

    /// <summary>The runs <paramref name="viewer"/> may see, newest first: all of them, or a student's own.</summary>
    public async Task<IReadOnlyList<RunState>> ListAsync(Viewer viewer, CancellationToken cancellationToken = default)
    {
        if (!viewer.IsInstructor && viewer.UserId is null)
            return [];
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var visible = viewer.IsInstructor ? db.Runs : db.Runs.Where(r => r.OwnerId == viewer.UserId);
        var runs = await visible.AsNoTracking().ToListAsync(cancellationToken);
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

    private async Task<RunState?> UpdateAsync(Guid id, Func<RunEntity, RunsDb, bool> change, CancellationToken cancellationToken = default)
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
            await db.SaveChangesAsync(cancellationToken);
            var state = entity.ToState();
            await hub.Clients.Group(RunsHub.Group(id)).RunUpdated(state);
            Changed?.Invoke(state);
            return state;
        }
        finally
        {
            updating.Release();
        }
    }

    /// <summary>
    /// Creates the database on first start and checks that an existing one has today's tables; runs before the app
    /// takes requests, so a database the app cannot use stops it at once with the reason.
    /// </summary>
    public async Task CreateStoreAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.EnsureCreatedAsync(cancellationToken);
        // Write-ahead logging (kept in the file): the progress of a training run is written a few times a second
        // while pages read, and a commit appends to one log instead of creating, syncing and deleting a journal.
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        try
        {
            // Reading a row of each table names every column: a table or column an older WebGen did not make fails here.
            await db.Runs.AsNoTracking().Take(1).ToListAsync(cancellationToken);
            await db.MetricPoints.AsNoTracking().Take(1).ToListAsync(cancellationToken);
            await db.ClassSettings.AsNoTracking().Take(1).ToListAsync(cancellationToken);
            await db.Invitations.AsNoTracking().Take(1).ToListAsync(cancellationToken);
            await db.Users.AsNoTracking().Take(1).ToListAsync(cancellationToken);
            await db.UserRoles.AsNoTracking().Take(1).ToListAsync(cancellationToken);
            await db.Reviews.AsNoTracking().Take(1).ToListAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            throw new InvalidOperationException(
                $"The runs database ({db.Database.GetDbConnection().DataSource}) was made by an older WebGen and lacks today's tables " +
                $"({e.Message}). Move it aside (its runs folder can stay) and start again.", e);
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
                run.Error = $"The server stopped twice while training this run (last at step {run.Step}); it is not retried again — queue it again to retry.";
                continue;
            }
            run.Status = RunStatus.Queued;
            var limited = rules.IsClassMode && run.OwnerId is not null && !instructors.Contains(run.OwnerId);
            queue.Enqueue(new QueuedRun(run.Id, run.OwnerId ?? "", limited));
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private static async Task<HashSet<string>> InstructorIdsAsync(RunsDb db, CancellationToken cancellationToken) =>
        [.. await db.UserRoles.Where(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.Instructor))
            .Select(ur => ur.UserId).ToListAsync(cancellationToken)];

    /// <summary>
    /// Every queued run with its place in the start order and when it is expected to start, estimated from the running
    /// runs' measured pace and each queued run's steps at its model's recent pace. A student sees their own runs in
    /// full and the others' only as places in the line.
    /// </summary>
    public async Task<IReadOnlyList<QueuedRunEstimate>> QueueAsync(Viewer viewer, CancellationToken cancellationToken = default)
    {
        var (queued, taken) = queue.Snapshot();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
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
        var plan = QueuePlan.Estimate(queued, runningNow, Math.Max(1, settings.Value.MaxConcurrentRuns),
            rules.IsClassMode ? rules.Current.MaxRunningPerUser : int.MaxValue,
            q => states.TryGetValue(q.Run, out var run) ? TimeSpan.FromSeconds(run.Options.Iterations / StepsPerSecond(run)) : TimeSpan.Zero,
            DateTime.UtcNow);
        return [.. plan.Where(p => states.ContainsKey(p.Run.Run)).Select(p =>
        {
            var run = states[p.Run.Run];
            return new QueuedRunEstimate(p.Position, p.ExpectedStartUtc, viewer.MaySee(run) ? run : null);
        })];
    }

    /// <summary>Each model's mean training pace over its last few completed runs.</summary>
    private static async Task<Dictionary<ModelKind, double>> TypicalPaceAsync(RunsDb db, CancellationToken cancellationToken)
    {
        var recent = await db.Runs.AsNoTracking()
            .Where(r => r.Status == RunStatus.Completed && r.StepsPerSecond > 0)
            .OrderByDescending(r => r.FinishedUtc).Take(50)
            .Select(r => new { r.OptionsJson, r.StepsPerSecond }).ToListAsync(cancellationToken);
        return recent
            .GroupBy(r => RunEntity.Deserialize<TrainingOptions>(r.OptionsJson).Model)
            .ToDictionary(g => g.Key, g => g.Take(5).Average(r => r.StepsPerSecond));
    }
}
