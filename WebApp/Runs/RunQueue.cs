namespace WebGen.WebApp.Runs;

/// <summary>
/// The queue the worker's slots take runs from: a <see cref="FairQueue"/> behind a lock, the runs it has handed out,
/// and a wake-up for slots waiting on it (a run queued, a run finished, a limit raised).
/// </summary>
public sealed class RunQueue(Func<int> maxRunningPerUser)
{
    private readonly Lock gate = new();
    private readonly FairQueue queue = new();
    private readonly List<QueuedRun> running = [];
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Queues a run once: a run created while the worker re-queues the store after a restart is offered twice.</summary>
    public void Enqueue(QueuedRun run)
    {
        lock (gate)
        {
            if (queue.Contains(run.Run) || running.Exists(r => r.Run == run.Run))
                return;
            queue.Enqueue(run);
            Wake();
        }
    }

    /// <summary>Forgets a cancelled run that was still waiting.</summary>
    public void Remove(Guid run)
    {
        lock (gate)
            queue.Remove(run);
    }

    /// <summary>Waits for the next run that may start now; give it back with <see cref="Finished"/>.</summary>
    public async Task<QueuedRun> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (gate)
            {
                if (queue.Take(MayStart) is { } next)
                {
                    running.Add(next);
                    return next;
                }
                wait = changed.Task;
            }
            await wait.WaitAsync(cancellationToken);
        }
    }

    /// <summary>A taken run has ended (or never started): its user's running count goes down.</summary>
    public void Finished(QueuedRun run)
    {
        lock (gate)
        {
            running.Remove(run);
            Wake();
        }
    }

    /// <summary>The limits changed: waiting slots look again.</summary>
    public void LimitsChanged()
    {
        lock (gate)
            Wake();
    }

    /// <summary>A copy of the queue and the runs handed out, for the estimate.</summary>
    public (FairQueue Queued, IReadOnlyList<QueuedRun> Running) Snapshot()
    {
        lock (gate)
            return (queue.Clone(), [.. running]);
    }

    private bool MayStart(QueuedRun run) => !run.Limited || running.Count(r => r.User == run.User) < maxRunningPerUser();

    private void Wake()
    {
        var waiting = changed;
        changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting.TrySetResult();
    }
}
