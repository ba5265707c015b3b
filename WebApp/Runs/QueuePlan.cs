namespace WebGen.WebApp.Runs;

/// <summary>A run training now, as the estimate sees it: whose it is and how long it has left.</summary>
public sealed record RunningRun(string User, bool Limited, TimeSpan Remaining);

/// <summary>When a queued run is expected to start, and its place in the start order (1 = next).</summary>
public sealed record PlannedStart(QueuedRun Run, int Position, DateTime ExpectedStartUtc);

/// <summary>
/// The queue page's estimate: plays the scheduler forward on a copy of the queue — slots free up as the running runs
/// end, each freed slot goes to the run <see cref="FairQueue.Take"/> picks under the per-user running limit — with
/// each run lasting as long as <c>duration</c> says.
/// </summary>
public static class QueuePlan
{
    public static IReadOnlyList<PlannedStart> Estimate(
        FairQueue queue, IReadOnlyList<RunningRun> running, int slots, int maxRunningPerUser,
        Func<QueuedRun, TimeSpan> duration, DateTime nowUtc)
    {
        var future = queue.Clone();
        var busy = running.Select(r => (r.User, End: nowUtc + r.Remaining)).ToList();
        var plan = new List<PlannedStart>();
        var clock = nowUtc;
        while (future.Count > 0)
        {
            var next = busy.Count < slots
                ? future.Take(run => !run.Limited || busy.Count(b => b.User == run.User) < maxRunningPerUser)
                : null;
            if (next is not null)
            {
                plan.Add(new PlannedStart(next, plan.Count + 1, clock));
                busy.Add((next.User, clock + duration(next)));
                continue;
            }
            if (busy.Count == 0)
                break; // nothing runs and nothing may start: cannot happen with a running limit of 1 or more
            var ending = busy.MinBy(b => b.End);
            busy.Remove(ending);
            clock = ending.End > clock ? ending.End : clock;
        }
        return plan;
    }
}
