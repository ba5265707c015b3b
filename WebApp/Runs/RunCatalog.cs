using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Compute.Training;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Queuing runs and reading them back: a new run is checked against the hyperparameter table, and in class mode a
/// student's against the instructor's limits and disk quota; everyone's against the worker's memory budget.
/// </summary>
public sealed class RunCatalog(
    IDbContextFactory<WebGenDb> dbFactory, RunLifecycle lifecycle, ClassRules rules, IOptions<WebGenOptions> settings)
{
    /// <summary>How long a student's measured disk usage is reused before their run folders are measured again.</summary>
    public static readonly TimeSpan DiskUsageLifetime = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim creating = new(1, 1);
    private readonly ConcurrentDictionary<string, (long Bytes, DateTime MeasuredUtc)> diskUsage = new();

    /// <summary>
    /// Queues a run for <paramref name="by"/>, or <paramref name="replicates"/> runs with seeds seed, seed+1, … as one
    /// group; returns the refusals instead, keyed by field name ("" for one about the request as a whole).
    /// </summary>
    public async Task<(IReadOnlyList<RunState> Runs, IReadOnlyDictionary<string, string[]> Errors)> CreateAsync(
        Viewer by, TrainingOptions options, int replicates = 1, CancellationToken cancellationToken = default)
    {
        var limited = rules.IsClassMode && by.IsLimited;
        var errors = ClassLimits.Refusals(options, limited ? rules.Current : null);
        if (Hyperparameters.RefuseReplicates("replicates", replicates) is { } replicateError)
            errors["replicates"] = replicateError;
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
            OptionsJson = JsonColumn.Write(options with { Seed = options.Seed + i, Run = options.Run + i }),
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
        await lifecycle.QueuedAsync(states);
        return (states, new Dictionary<string, string[]>());
    }

    /// <summary>A refusal of the request as a whole, under the empty key (ASP.NET Core's convention for such errors).</summary>
    private static Dictionary<string, string[]> Refused(string error) => new() { [""] = [error] };

    /// <summary>The refusal of a run whose estimated peak memory is over the worker's budget for one run (everyone's runs).</summary>
    private string? TooLargeForTheWorker(TrainingOptions options)
    {
        var needed = MemoryEstimate.For(options).RunBytes;
        var budget = settings.Value.Worker.MemoryBudgetBytes(settings.Value.Worker.Slots);
        if (needed <= budget)
            return null;
        var (sizes, fields) = options.Model == ModelKind.Gmvae
            ? ($"batch {options.BatchSize}, z {options.ZDim} and k {options.K}", "the batch size, z or k")
            : ($"batch {options.BatchSize} and z {options.ZDim}", "the batch size or z");
        return $"{ModelNames.WithArticle(options.Model)} with {sizes} needs about {ByteSize.Describe(needed)} at its peak; " +
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
}
