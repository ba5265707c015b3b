using WebGen.Shared;

namespace WebGen.Compute.Training;

/// <summary>Mean and standard error of one metric over replicate runs (the spec asks for exactly that).</summary>
public sealed record MetricSummary(double Mean, double StandardError, IReadOnlyList<double> Values)
{
    public static MetricSummary Of(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        var standardError = values.Count < 2 ? double.NaN
            : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) / values.Count);
        return new MetricSummary(mean, standardError, values);
    }

    /// <summary>The sample standard deviation of the values (the standard error times √n).</summary>
    public double StandardDeviation => StandardError * Math.Sqrt(Values.Count);

    public override string ToString() =>
        double.IsNaN(StandardError) ? Format(Mean) : $"{Format(Mean)} ± {Format(StandardError, Mean)}";

    /// <summary>Two decimals for nats and milliseconds, four for fractions such as accuracy (judged by scale).</summary>
    public static string Format(double value, double scale = double.NaN) =>
        value.ToString(Math.Abs(double.IsNaN(scale) ? value : scale) < 1 ? "F4" : "F2", System.Globalization.CultureInfo.InvariantCulture);
}

public static class Replicates
{
    /// <summary>
    /// The metrics a run reports, by name: nelbo, kl, rec, iwae_1 … iwae_1000 (VAE, GMVAE), accuracy (SSVAE), and
    /// ms_per_step where the run was trained here.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Metrics(RunResult result) => Metrics(result.Metrics, result.MsPerStep);

    /// <inheritdoc cref="Metrics(RunResult)"/>
    public static IReadOnlyDictionary<string, double> Metrics(RunMetrics result, double msPerStep = 0)
    {
        var metrics = new Dictionary<string, double>();
        if (result.LowerBound is { } bound)
        {
            (metrics["nelbo"], metrics["kl"], metrics["rec"]) = (bound.Nelbo, bound.Kl, bound.Rec);
            foreach (var (m, value) in bound.Iwae)
                metrics[$"iwae_{m}"] = value;
        }
        if (result.Accuracy is { } accuracy)
            metrics["accuracy"] = accuracy;
        if (msPerStep > 0)
            metrics["ms_per_step"] = msPerStep;
        return metrics;
    }

    /// <summary>Each metric that every run reports, summarised over the runs, in the order of the first run.</summary>
    public static IReadOnlyDictionary<string, MetricSummary> Summarise(IReadOnlyList<RunResult> runs) =>
        Summarise([.. runs.Select(Metrics)]);

    /// <inheritdoc cref="Summarise(IReadOnlyList{RunResult})"/>
    public static IReadOnlyDictionary<string, MetricSummary> Summarise(IReadOnlyList<IReadOnlyDictionary<string, double>> perRun)
    {
        return perRun[0].Keys
            .Where(name => perRun.All(m => m.ContainsKey(name)))
            .ToDictionary(name => name, name => MetricSummary.Of([.. perRun.Select(m => m[name])]));
    }
}
