using Microsoft.EntityFrameworkCore;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// The fair queue as the database holds it, for every process alike: the queued runs in arrival order, each user's
/// last start (<see cref="RunEntity.AdmittedUtc"/>) for "least recently served first", and the runs handed out.
/// </summary>
public static class StoredQueue
{
    public static async Task<(FairQueue Queued, IReadOnlyList<QueuedRun> Running)> LoadAsync(
        WebGenDb db, ClassRules rules, CancellationToken cancellationToken)
    {
        var pending = await db.Runs.AsNoTracking()
            .Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running)
            .Select(r => new { r.Id, r.OwnerId, r.Status, r.CreatedUtc })
            .ToListAsync(cancellationToken);
        var lastStarts = (await db.Runs.AsNoTracking()
                .Where(r => r.AdmittedUtc != null)
                .Select(r => new { r.OwnerId, r.AdmittedUtc })
                .ToListAsync(cancellationToken))
            .GroupBy(r => r.OwnerId ?? "")
            .Select(g => new { User = g.Key, Last = g.Max(r => r.AdmittedUtc) });
        var instructors = rules.IsClassMode ? await InstructorIdsAsync(db, cancellationToken) : [];
        QueuedRun AsQueued(Guid id, string? owner) =>
            new(id, owner ?? "", rules.IsClassMode && owner is not null && !instructors.Contains(owner));

        var queue = new FairQueue();
        foreach (var start in lastStarts.OrderBy(s => s.Last))
            queue.Served(start.User);
        foreach (var run in pending.Where(r => r.Status == RunStatus.Queued).OrderBy(r => r.CreatedUtc))
            queue.Enqueue(AsQueued(run.Id, run.OwnerId));
        return (queue, [.. pending.Where(r => r.Status == RunStatus.Running).Select(r => AsQueued(r.Id, r.OwnerId))]);
    }

    private static async Task<HashSet<string>> InstructorIdsAsync(WebGenDb db, CancellationToken cancellationToken) =>
        [.. await db.UserRoles.Where(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.Instructor))
            .Select(ur => ur.UserId).ToListAsync(cancellationToken)];
}
