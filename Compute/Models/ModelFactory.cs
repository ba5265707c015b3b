using WebGen.Shared;

namespace WebGen.Compute.Models;

public static class ModelFactory
{
    /// <summary>
    /// A freshly initialised model of the given kind (PyTorch-default Linear initialisation), drawn alone on the
    /// default generator (see <see cref="RandomStream"/>).
    /// </summary>
    public static GenerativeModel Create(TrainingOptions options) => RandomStream.OnDefaultGenerator<GenerativeModel>(() => options.Model switch
    {
        ModelKind.Vae => new Vae(options.ZDim),
        ModelKind.Gmvae => new Gmvae(options.ZDim, options.K),
        ModelKind.Ssvae => new Ssvae(options.ZDim, options.GenWeight, options.ClassWeight),
        ModelKind.Fsvae => new Fsvae(options.ZDim),
        _ => throw new NotSupportedException($"{options.Model} is not available yet; available: vae, gmvae, ssvae, fsvae."),
    });

    /// <summary>
    /// The reference codebase's run folder name, e.g. <c>model=vae_z=10_run=0000</c>,
    /// <c>model=gmvae_z=10_k=500_run=0000</c>, <c>model=ssvae_gw=001_cw=100_run=0000</c>.
    /// </summary>
    public static string RunName(TrainingOptions options)
    {
        var model = ModelNames.Of(options.Model);
        var settings = options.Model switch
        {
            ModelKind.Gmvae => $"z={options.ZDim}_k={options.K}",
            ModelKind.Ssvae => $"gw={options.GenWeight:000}_cw={options.ClassWeight:000}",
            _ => $"z={options.ZDim}",
        };
        return $"model={model}_{settings}_run={options.Run:D4}";
    }
}
