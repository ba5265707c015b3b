using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The scheduler's order and the queue page's estimate, on the pure classes.</summary>
public sealed class FairQueueTests
{
    private readonly Dictionary<Guid, string> names = [];

    private QueuedRun Run(string name, bool limited = true)
    {
        var run = new QueuedRun(Guid.NewGuid(), name[..1], limited);
        names[run.Run] = name;
        return run;
    }

    private static FairQueue Queue(params QueuedRun[] runs)
    {
        var queue = new FairQueue();
        foreach (var run in runs)
            queue.Enqueue(run);
        return queue;
    }

    private List<string> TakeAll(FairQueue queue, Func<QueuedRun, bool>? mayStart = null)
    {
        var order = new List<string>();
        while (queue.Take(mayStart ?? (_ => true)) is { } next)
            order.Add(names[next.Run]);
        return order;
    }

    [Fact]
    public void RunsQueuedAAABC_StartABCAA()
    {
        var queue = Queue(Run("A1"), Run("A2"), Run("A3"), Run("B1"), Run("C1"));
        Assert.Equal(["A1", "B1", "C1", "A2", "A3"], TakeAll(queue));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void TheUserWhoLeastRecentlyGotASlot_GoesFirst_AndEachUsersRunsKeepTheirOrder()
    {
        var queue = Queue(Run("A1"), Run("B1"));
        Assert.Equal(["A1", "B1"], TakeAll(queue));
        // B was served last, so A's run goes first although B queued first this time.
        queue.Enqueue(Run("B2"));
        queue.Enqueue(Run("A2"));
        queue.Enqueue(Run("B3"));
        queue.Enqueue(Run("C1")); // never served: before both
        Assert.Equal(["C1", "A2", "B2", "B3"], TakeAll(queue));
    }

    [Fact]
    public void AUserAtTheRunningLimit_IsPassedOver_NotSkipped()
    {
        var queue = Queue(Run("A1"), Run("A2"), Run("B1"));
        var aIsBusy = true;
        Assert.Equal("B1", names[queue.Take(run => run.User != "A" || !aIsBusy)!.Run]);
        Assert.Null(queue.Take(run => run.User != "A" || !aIsBusy)); // only A's runs wait, and A may not start one
        aIsBusy = false;
        Assert.Equal(["A1", "A2"], TakeAll(queue));
    }

    [Fact]
    public void ACancelledRun_LeavesTheQueue_AndACloneIsIndependent()
    {
        var a1 = Run("A1");
        var queue = Queue(a1, Run("B1"), Run("A2"));
        Assert.True(queue.Remove(a1.Run));
        Assert.False(queue.Remove(a1.Run));
        var copy = queue.Clone();
        Assert.Equal(["B1", "A2"], TakeAll(copy));
        Assert.Equal(2, queue.Count);
        Assert.Equal(["B1", "A2"], TakeAll(queue));
    }

    [Fact]
    public void UsersServedBeforeTheQueueWasLoaded_GoAfterUsersNeverServed_LeastRecentFirst()
    {
        // As the store rebuilds it: B started a run long ago, A recently, C never.
        var queue = Queue(Run("A1"), Run("B1"), Run("C1"));
        queue.Served("B");
        queue.Served("A");
        Assert.Equal(["C1", "B1", "A1"], TakeAll(queue));
    }

    [Fact]
    public void TheEstimate_WaitsForTheRunningRuns_ThenPlaysTheFairOrder()
    {
        var now = new DateTime(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        var queue = Queue(Run("A1"), Run("A2"), Run("B1"));
        var plan = QueuePlan.Estimate(queue, [new RunningRun("X", false, TimeSpan.FromMinutes(10))], slots: 1, maxRunningPerUser: 1,
            _ => TimeSpan.FromMinutes(1), now);

        Assert.Equal(["A1", "B1", "A2"], plan.Select(p => names[p.Run.Run]));
        Assert.Equal([1, 2, 3], plan.Select(p => p.Position));
        Assert.Equal([now.AddMinutes(10), now.AddMinutes(11), now.AddMinutes(12)], plan.Select(p => p.ExpectedStartUtc));
        Assert.Equal(3, queue.Count); // the real queue is untouched
    }

    [Fact]
    public void TheEstimate_KeepsAStudentToTheRunningLimit_EvenWithASlotFree()
    {
        var now = new DateTime(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        var plan = QueuePlan.Estimate(Queue(Run("A1"), Run("A2"), Run("I1", limited: false), Run("I2", limited: false)), [],
            slots: 2, maxRunningPerUser: 1, run => TimeSpan.FromMinutes(names[run.Run] == "I1" ? 5 : 1), now);

        // A1 and the instructor's I1 start at once; A2 waits for A1 (the limit), I2 for a slot.
        Assert.Equal(["A1", "I1", "A2", "I2"], plan.Select(p => names[p.Run.Run]));
        Assert.Equal([now, now, now.AddMinutes(1), now.AddMinutes(2)], plan.Select(p => p.ExpectedStartUtc));
    }
}
