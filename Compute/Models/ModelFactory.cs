using WebGen.Shared;

namespace WebGen.Compute.Models;

public static class ModelFactory
{
    /// <summary>A freshly initialised model of the given kind (PyTorch-default Linear initialisation).</summary>
    public static GenerativeModel Create(TrainingOptions options) => options.Model switch
    {
        ModelKind.Vae => new Vae(options.ZDim),
        _ => throw new NotSupportedException($"{options.Model} is not available yet; available: vae."),
    };

    /// <summary>The reference codebase's run folder name, e.g. <c>model=vae_z=10_run=0000</c>.</summary>
    public static string RunName(TrainingOptions options) =>
        $"model={options.Model.ToString().ToLowerInvariant()}_z={options.ZDim}_run={options.Run:D4}";
}
