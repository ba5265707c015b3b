namespace WebGen.Shared;

/// <summary>Hyperparameters of one training run; defaults are the homework's (protocol.md).</summary>
public sealed record TrainingOptions
{
    public ModelKind Model { get; init; } = ModelKind.Vae;
    public int Iterations { get; init; } = 20_000;
    public int Seed { get; init; }
    public int Run { get; init; }
    public int BatchSize { get; init; } = 100;
    public double LearningRate { get; init; } = 1e-3;
    public int ZDim { get; init; } = 10;
    public int CheckpointEvery { get; init; } = 10_000;
    public string Device { get; init; } = "auto";
}
