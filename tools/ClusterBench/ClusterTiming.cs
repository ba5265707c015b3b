namespace WebGen.Tools.Cluster;

/// <summary>
/// The test configuration of a cluster on one machine, shared by the process-level tests' fixtures and
/// <c>./webgen bench cluster</c>, so the kill-to-resume time the bench prints is the one the tests hold to: a checkpoint
/// and a preview every 100 steps, a heartbeat every half second, and a short <see cref="Lease"/>.
/// </summary>
public static class ClusterTiming
{
    /// <summary>
    /// A worker that stops beating is taken for dead after this: short, for the kill-to-resume time, yet long enough
    /// that a live worker on a loaded machine (a 2-core machine running other suites beside this one) is not taken
    /// for dead between two of its beats, which would fail its run after <c>RunLifecycle.MaxCrashes</c> such takes.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(8);

    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["WebGen:CheckpointEvery"] = "100",
        ["WebGen:PreviewEvery"] = "100",
        ["WebGen:Worker:Heartbeat"] = "00:00:00.500",
        ["WebGen:Worker:Lease"] = Lease.ToString(),
    };
}
