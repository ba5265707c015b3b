using WebGen.Shared;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Everything a watcher needs to draw a run: its settings, where it is, and its results once done. Runs created
/// together as replicates (seeds seed..seed+N−1) share a <see cref="Group"/>. <see cref="PreviewStep"/> is the step
/// of the newest preview grid (0 before the first); an SSVAE's <see cref="TestAccuracy"/> is measured at every preview.
/// In class mode <see cref="OwnerId"/> is the account that queued the run and <see cref="Owner"/> its name; both are
/// null in single mode. <see cref="Version"/> rises with every stored change: of two states of one run, the higher is newer.
/// </summary>
public sealed record RunState(
    Guid Id,
    Guid Group,
    TrainingOptions Options,
    RunStatus Status,
    TrainingProgress? Progress,
    RunMetrics? Metrics,
    string? Error,
    DateTime CreatedUtc,
    DateTime? FinishedUtc,
    int PreviewStep = 0,
    IReadOnlyList<AccuracyPoint>? TestAccuracy = null,
    string? OwnerId = null,
    string? Owner = null,
    long Version = 0)
{
    public bool IsFinished => Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;

    /// <summary>Steps trained so far: all of them once completed, else the latest progress.</summary>
    public int StepsDone => Status == RunStatus.Completed ? Options.Iterations : Progress?.Step ?? 0;

    /// <summary>How pages name a run: its model and seed, e.g. "SSVAE · seed 2".</summary>
    public string Label => $"{ModelNames.Title(Options.Model)} · seed {Options.Seed}";
}

/// <summary>The classifier's accuracy on the 10,000 MNIST test images at a step of an SSVAE's training.</summary>
public sealed record AccuracyPoint(int Step, double Accuracy);

/// <summary>
/// A queued run's place in the start order (1 = next) and when it is expected to start (an estimate from the runs'
/// measured pace). <see cref="Run"/> is null for another student's run: students see only its place in the line.
/// </summary>
public sealed record QueuedRunEstimate(int Position, DateTime ExpectedStartUtc, RunState? Run);

/// <summary>One point of a run's metric history: the loss terms at a step, as the charts and CSV export show them.</summary>
public sealed record MetricPoint(int Step, double Loss, double Kl, double Rec, double StepsPerSecond, DateTime AtUtc);

/// <summary>What the runs hub (<c>/hubs/runs</c>) calls on its clients.</summary>
public interface IRunsClient
{
    /// <summary>A watched run moved: new progress (a few times a second at most), a new status, or its results.</summary>
    Task RunUpdated(RunState state);
}

/// <summary>What clients call on the runs hub.</summary>
public interface IRunsHub
{
    /// <summary>
    /// Watch a run; returns its current state at once (null for an unknown id). In class mode a student asking for
    /// another student's run gets a HubException saying so.
    /// </summary>
    Task<RunState?> Subscribe(Guid runId);

    Task Unsubscribe(Guid runId);
}
