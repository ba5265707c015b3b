using System.Globalization;
using WebGen.Shared;

namespace WebGen.Compute.Evaluation;

/// <summary>The course grader's accepted band for one metric: target ± tolerance, both ends included.</summary>
public sealed record GraderBand(string Metric, double Target, double Tolerance)
{
    public double Low => Target - Tolerance;
    public double High => Target + Tolerance;

    // The small slack keeps a value printed as exactly the band's end (0.76, 102) inside despite float rounding.
    public bool Contains(double value) => Math.Abs(value - Target) <= Tolerance + 1e-9;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Target:0.###} ± {Tolerance:0.###}");
}

/// <summary>Which band a homework model is graded against (protocol.md): NELBO for the VAE and GMVAE, accuracy for the SSVAE.</summary>
public static class Grading
{
    public static readonly GraderBand VaeNelbo = new("nelbo", 100, 2);
    public static readonly GraderBand GmvaeNelbo = new("nelbo", 97, 3);
    public static readonly GraderBand SsvaeGw0Accuracy = new("accuracy", 0.735, 0.025);
    public static readonly GraderBand SsvaeGw1Accuracy = new("accuracy", 0.935, 0.025);

    /// <summary>The SSVAE's band depends on the variant graded: gw = 0 (supervised only) or gw = 1.</summary>
    public static GraderBand For(ModelKind model, double ssvaeGenWeight = 1) => model switch
    {
        ModelKind.Vae => VaeNelbo,
        ModelKind.Gmvae => GmvaeNelbo,
        ModelKind.Ssvae => ssvaeGenWeight == 0 ? SsvaeGw0Accuracy : SsvaeGw1Accuracy,
        _ => throw new ArgumentException($"the grader has no band for {model}; it grades vae, gmvae and ssvae.", nameof(model)),
    };

    /// <summary>The graded value of <paramref name="metrics"/> and whether it lies in the band; null when the metric is absent.</summary>
    public static (double Value, bool Pass)? Grade(GraderBand band, RunMetrics metrics)
    {
        double? value = band.Metric == "accuracy" ? metrics.Accuracy : metrics.LowerBound?.Nelbo;
        return value is { } v ? (v, band.Contains(v)) : null;
    }
}
