using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Cluster;

/// <summary>
/// Carries every stored change of a run to the pages of every front end: a change published on one process is
/// received on each (its own at once). Receivers keep a state only when it <see cref="RunState.Supersedes"/> the one
/// they show, since updates from several processes may arrive out of order.
/// </summary>
public interface IRunUpdateBus
{
    /// <summary>Raised on this process for a change published by any process; handlers must not block.</summary>
    event Action<RunState>? Received;

    Task PublishAsync(RunState state, CancellationToken cancellationToken = default);
}

/// <summary>The single-process default: a change reaches this process's pages only.</summary>
public sealed class InProcessRunUpdateBus : IRunUpdateBus
{
    public event Action<RunState>? Received;

    public Task PublishAsync(RunState state, CancellationToken cancellationToken = default)
    {
        Received?.Invoke(state);
        return Task.CompletedTask;
    }
}
