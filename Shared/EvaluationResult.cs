namespace WebGen.Shared;

/// <summary>
/// The protocol's numbers for one model on the 100-image test subset: NELBO and its KL / Rec split, and the
/// negative IWAE bound for each number of importance samples m.
/// </summary>
public sealed record EvaluationResult(double Nelbo, double Kl, double Rec, IReadOnlyDictionary<int, double> Iwae);
