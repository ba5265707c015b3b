namespace WebGen.Shared;

/// <summary>
/// The protocol's numbers for a VAE or GMVAE on the 100-image test subset: NELBO and its KL / Rec split, and the
/// negative IWAE bound for each number of importance samples m.
/// </summary>
public sealed record EvaluationResult(double Nelbo, double Kl, double Rec, IReadOnlyDictionary<int, double> Iwae);

/// <summary>What a run is judged by: the lower bounds (VAE, GMVAE) or the test accuracy (SSVAE).</summary>
public sealed record RunMetrics(EvaluationResult? LowerBound, double? Accuracy);
