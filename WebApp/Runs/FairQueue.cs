namespace WebGen.WebApp.Runs;

/// <summary>
/// A queued run as the scheduler sees it: whose it is and whether the class's per-user limits bind it (a student's
/// run does, the instructor's or single mode's does not).
/// </summary>
public sealed record QueuedRun(Guid Run, string User, bool Limited);

/// <summary>
/// The order in which queued runs get a training slot: round-robin between users, the user who least recently got a
/// slot first (a user who never had one before everyone who had, earliest queued first), and first-in first-out within
/// one user. Rebuilt from the store at each decision (<see cref="StoredQueue"/>); not thread-safe.
/// </summary>
public sealed class FairQueue
{
    private readonly List<(QueuedRun Run, long Arrival)> queued = [];
    private readonly Dictionary<string, long> lastServed = [];
    private long arrivals;
    private long served;

    public int Count => queued.Count;

    /// <summary>The queued runs in the order they arrived.</summary>
    public IReadOnlyList<QueuedRun> InArrivalOrder => [.. queued.Select(q => q.Run)];

    public void Enqueue(QueuedRun run) => queued.Add((run, arrivals++));

    public bool Contains(Guid run) => queued.Exists(q => q.Run.Run == run);

    /// <summary>Records that <paramref name="user"/> got a slot now (a start the store remembers), as <see cref="Take"/> does.</summary>
    public void Served(string user) => lastServed[user] = served++;

    /// <summary>Takes a run out of the queue without serving it (cancelled); false when it is not queued.</summary>
    public bool Remove(Guid run) => queued.RemoveAll(q => q.Run.Run == run) > 0;

    /// <summary>
    /// Takes the next run whose user's turn it is, among the users whose oldest queued run <paramref name="mayStart"/>
    /// allows (a user at their running limit is passed over, not skipped for good); null when no run may start.
    /// </summary>
    public QueuedRun? Take(Func<QueuedRun, bool> mayStart)
    {
        var next = queued
            .GroupBy(q => q.Run.User)
            .Select(user => user.MinBy(q => q.Arrival))
            .Where(first => mayStart(first.Run))
            .OrderBy(first => lastServed.GetValueOrDefault(first.Run.User, -1))
            .ThenBy(first => first.Arrival)
            .Select(first => ((QueuedRun Run, long Arrival)?)first)
            .FirstOrDefault();
        if (next is not { } taken)
            return null;
        queued.Remove(taken);
        lastServed[taken.Run.User] = served++;
        return taken.Run;
    }

    /// <summary>A copy to try the future on (the queue page's estimate) without touching the real queue.</summary>
    public FairQueue Clone()
    {
        var copy = new FairQueue { arrivals = arrivals, served = served };
        copy.queued.AddRange(queued);
        foreach (var (user, at) in lastServed)
            copy.lastServed[user] = at;
        return copy;
    }
}
