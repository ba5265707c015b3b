namespace WebGen.Shared;

public enum RunStatus
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>
/// Everything a watcher needs to draw a run: its settings, where it is, and its results once done. Runs created
/// together as replicates (seeds seed..seed+N−1) share a <see cref="Group"/>. <see cref="PreviewStep"/> is the step
/// of the newest preview grid (0 before the first); an SSVAE's <see cref="TestAccuracy"/> is measured at every preview.
/// In class mode <see cref="OwnerId"/> is the account that queued the run and <see cref="Owner"/> its name; both are
/// null in single mode.
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
    string? Owner = null)
{
    public bool IsFinished => Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;

    /// <summary>Steps trained so far: all of them once completed, else the latest progress.</summary>
    public int StepsDone => Status == RunStatus.Completed ? Options.Iterations : Progress?.Step ?? 0;

    /// <summary>How pages name a run: its model and seed, e.g. "SSVAE · seed 2".</summary>
    public string Label => $"{Options.Model.ToString().ToUpperInvariant()} · seed {Options.Seed}";
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

/// <summary>The accepted ranges of a run's hyperparameters, shared by the form, the JSON API and their messages.</summary>
public static class TrainingOptionsRules
{
    public const int MaxReplicates = 10;
    public const int MaxBatchSize = 60_000;
    public const int MaxZDim = 1024;
    public const int MaxK = 10_000;

    public static IReadOnlyList<string> Validate(TrainingOptions options)
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok) errors.Add(message);
        }
        Check(Enum.IsDefined(options.Model), $"model {options.Model}: accepted values are vae, gmvae, ssvae, fsvae.");
        Check(options.Iterations is >= 1 and <= 10_000_000, $"iterations {options.Iterations}: accepted values are 1 to 10000000.");
        Check(options.Seed is >= 0 and <= 1_000_000, $"seed {options.Seed}: accepted values are 0 to 1000000.");
        Check(options.Run is >= 0 and <= 9999, $"run {options.Run}: accepted values are 0 to 9999.");
        Check(options.BatchSize is >= 1 and <= MaxBatchSize, $"batchSize {options.BatchSize}: accepted values are 1 to {MaxBatchSize}.");
        Check(options.LearningRate is > 0 and <= 1, $"learningRate {options.LearningRate}: accepted values are greater than 0 and at most 1.");
        Check(options.ZDim is >= 1 and <= MaxZDim, $"zDim {options.ZDim}: accepted values are 1 to {MaxZDim}.");
        Check(options.K is >= 1 and <= MaxK, $"k {options.K}: accepted values are 1 to {MaxK}.");
        Check(options.GenWeight is >= 0 and <= 1000, $"genWeight {options.GenWeight}: accepted values are 0 to 1000.");
        Check(options.ClassWeight is >= 0 and <= 1000, $"classWeight {options.ClassWeight}: accepted values are 0 to 1000.");
        Check(options.CheckpointEvery >= 1, $"checkpointEvery {options.CheckpointEvery}: accepted values are 1 or more.");
        Check(options.Device is "auto" or "cpu" or "cuda", $"device {options.Device}: accepted values are auto, cpu, cuda.");
        return errors;
    }

    /// <summary>The message for a run longer than a limit set for it (the instructor's, in class mode).</summary>
    public static string? ValidateIterationLimit(int iterations, int limit) => ValidateLimit("iterations", iterations, limit);

    /// <summary>The message for a field over the instructor's maximum, e.g. "batchSize 600: accepted values are 1 to 500 (…)".</summary>
    public static string? ValidateLimit(string field, int value, int limit) => value > limit
        ? $"{field} {value}: accepted values are 1 to {limit} (the instructor's limit per run)."
        : null;

    public static string? ValidateReplicates(int replicates) =>
        replicates is >= 1 and <= MaxReplicates ? null : $"replicates {replicates}: accepted values are 1 to {MaxReplicates}.";
}

/// <summary>How messages name an amount of memory or disk: "350.0 MB", "2.0 GB".</summary>
public static class ByteSize
{
    public static string Describe(long bytes) => bytes >= 1L << 30
        ? FormattableString.Invariant($"{bytes / (double)(1L << 30):0.0} GB")
        : FormattableString.Invariant($"{bytes / (double)(1L << 20):0.0} MB");
}
