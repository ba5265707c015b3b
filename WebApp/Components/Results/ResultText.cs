using System.Globalization;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Training;

namespace WebGen.WebApp.Components.Results;

/// <summary>
/// How the web writes a result, in one place for the run page, the review page and Compare: the name of each
/// metric and the format of its number (nats to two decimals, accuracy as a percentage, a graded value in its band's unit).
/// </summary>
public static class ResultText
{
    private const string Accuracy = "accuracy";
    private const string IwaePrefix = "iwae_";

    /// <summary>The row name of a metric as <see cref="Replicates.Metrics(WebGen.Shared.RunMetrics, double)"/> names it.</summary>
    public static string Label(string metric) => metric switch
    {
        "nelbo" => "NELBO",
        "kl" => "KL",
        "rec" => "Rec",
        Accuracy => "test accuracy",
        _ when metric.StartsWith(IwaePrefix, StringComparison.Ordinal) => $"−IWAE m = {metric[IwaePrefix.Length..]}",
        _ => metric,
    };

    /// <summary>A metric's value: a percentage for the accuracy, nats for the rest.</summary>
    public static string Value(string metric, double value) => metric == Accuracy ? Percent(value) : Nats(value);

    /// <summary>Mean ± standard error over replicates, in the metric's own format.</summary>
    public static string Summary(string metric, MetricSummary summary) => metric == Accuracy
        ? $"{TwoDecimals(100 * summary.Mean)} ± {Percent(summary.StandardError)}"
        : $"{Nats(summary.Mean)} ± {Nats(summary.StandardError)}";

    public static string Nats(double value) => TwoDecimals(value);

    /// <summary>"93.52 %" for 0.9352.</summary>
    public static string Percent(double fraction) => $"{TwoDecimals(100 * fraction)} %";

    /// <summary>A graded value in the band's own unit: accuracy as a fraction to four decimals (as its band), NELBO in nats.</summary>
    public static string Graded(GraderBand band, double value) =>
        band.Metric == Accuracy ? value.ToString("F4", CultureInfo.InvariantCulture) : Nats(value);

    private static string TwoDecimals(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
