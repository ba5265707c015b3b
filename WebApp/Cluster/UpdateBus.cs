using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Cluster;

/// <summary>
/// Carries every stored change of a run or a review to the pages of every front end: a change published on one
/// process (a worker training a run or evaluating a review, a front end taking a cancel or a comment) is received on
/// each (its own at once). Receivers keep a run's state only when it <see cref="RunState.Supersedes"/> the one they
/// show, since updates from several processes may arrive out of order; review pages read the reviews again.
/// </summary>
public interface IUpdateBus
{
    /// <summary>Raised on this process for a run's change published by any process; handlers must not block.</summary>
    event Action<RunState>? Received;

    /// <summary>Raised on this process for a review's change published by any process; handlers must not block.</summary>
    event Action<ReviewState>? ReviewReceived;

    Task PublishAsync(RunState state, CancellationToken cancellationToken = default);

    Task PublishAsync(ReviewState review, CancellationToken cancellationToken = default);
}

/// <summary>The single-process default: a change reaches this process's pages only.</summary>
public sealed class InProcessUpdateBus : IUpdateBus
{
    public event Action<RunState>? Received;

    public event Action<ReviewState>? ReviewReceived;

    public Task PublishAsync(RunState state, CancellationToken cancellationToken = default)
    {
        Received?.Invoke(state);
        return Task.CompletedTask;
    }

    public Task PublishAsync(ReviewState review, CancellationToken cancellationToken = default)
    {
        ReviewReceived?.Invoke(review);
        return Task.CompletedTask;
    }
}
