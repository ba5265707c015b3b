namespace WebGen.Shared;

/// <summary>Hyperparameters of one training run; <see cref="For"/> gives the homework's defaults (protocol.md).</summary>
public sealed record TrainingOptions
{
    public ModelKind Model { get; init; } = ModelKind.Vae;
    public int Iterations { get; init; } = 20_000;
    public int Seed { get; init; }
    public int Run { get; init; }
    public int BatchSize { get; init; } = 100;
    public double LearningRate { get; init; } = 1e-3;
    public int ZDim { get; init; } = 10;
    /// <summary>GMVAE: number of mixture components of the prior.</summary>
    public int K { get; init; } = 500;
    /// <summary>SSVAE: weight of the unlabelled NELBO (gw).</summary>
    public double GenWeight { get; init; } = 1;
    /// <summary>SSVAE: weight of the labelled cross-entropy (cw).</summary>
    public double ClassWeight { get; init; } = 100;
    public int CheckpointEvery { get; init; } = 10_000;
    public string Device { get; init; } = "auto";

    /// <summary>The reference codebase's settings for a model: z = 64 and 30,000 iterations for the SSVAE.</summary>
    public static TrainingOptions For(ModelKind model) => model switch
    {
        ModelKind.Ssvae => new() { Model = model, ZDim = 64, Iterations = 30_000 },
        ModelKind.Fsvae => new() { Model = model, ZDim = 10, Iterations = 1_000_000 },
        _ => new() { Model = model },
    };
}
