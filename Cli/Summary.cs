using System.Globalization;
using System.Text.Json.Nodes;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Training;
using WebGen.Shared;

namespace WebGen.Cli;

/// <summary>A run's result as a few readable lines and as the <c>--json</c> object.</summary>
public static class Summary
{
    public static void Write(TextWriter output, RunResult result)
    {
        var options = result.Options;
        output.Write(result.Format is CheckpointFormat.PyTorchZip or CheckpointFormat.PyTorchLegacy
            ? $"{ModelCheckpoint.Describe(options)} from a PyTorch checkpoint ({FormatName(result.Format.Value)}):"
            : $"{options.Model} seed {options.Seed}:");
        if (result.Metrics.LowerBound is { } e)
        {
            output.WriteLine($" NELBO {e.Nelbo:F2}  KL {e.Kl:F2}  Rec {e.Rec:F2}");
            if (e.Iwae.Count > 0) // the FSVAE has no IWAE bound
                output.WriteLine("  " + string.Join("  ", e.Iwae.Select(p => $"IWAE-{p.Key} {p.Value:F2}")));
        }
        if (result.Metrics.Accuracy is { } accuracy)
            output.WriteLine($" test accuracy {accuracy:P2}");
        if (result.Metrics is { LowerBound: null, Accuracy: null })
            output.WriteLine(" no test numbers (the FSVAE reports them when data/svhn has test_32x32.mat)");
        if (result.Seconds > 0)
            output.WriteLine($"  trained in {result.Seconds:F0} s ({result.MsPerStep:F2} ms/step)");
        output.WriteLine($"  checkpoint {result.Checkpoint}");
        output.WriteLine($"  grid       {result.Grid}");
    }

    /// <summary>The NELBO under each binarisation of the test subset: its spread, and where the protocol's (seed 0) falls.</summary>
    public static void WriteBinarisations(TextWriter output, IReadOnlyList<double> nelbos)
    {
        var spread = MetricSummary.Of(nelbos);
        var below = nelbos.Count(v => v < nelbos[0]);
        output.WriteLine($"  NELBO over {nelbos.Count} binarisations of the test subset (seeds 0..{nelbos.Count - 1}): " +
                         $"mean {spread.Mean:F2}, sd {spread.StandardDeviation:F2}, {nelbos.Min():F2} to {nelbos.Max():F2}; " +
                         $"the protocol's seed 0 gives {nelbos[0]:F2} ({nelbos[0] - spread.Mean:+0.00;-0.00} from the mean, {below} of {nelbos.Count} lower)");
    }

    /// <summary>pytorch-zip, pytorch-legacy, webgen.</summary>
    public static string FormatName(CheckpointFormat format) => format switch
    {
        CheckpointFormat.PyTorchZip => "pytorch-zip",
        CheckpointFormat.PyTorchLegacy => "pytorch-legacy",
        _ => "webgen",
    };

    public static void WriteReplicates(TextWriter output, IReadOnlyDictionary<string, MetricSummary> summary)
    {
        foreach (var (metric, value) in summary)
            output.WriteLine($"  {metric,-12} {value}  (runs: {string.Join(", ", value.Values.Select(v => MetricSummary.Format(v)))})");
    }

    public static JsonObject ToJson(RunResult result)
    {
        var json = new JsonObject { ["model"] = ModelNames.Of(result.Options.Model) };
        if (result.Format is not (CheckpointFormat.PyTorchZip or CheckpointFormat.PyTorchLegacy)) // a PyTorch file has no run settings
            (json["seed"], json["run"], json["iterations"]) = (result.Options.Seed, result.Options.Run, result.Options.Iterations);
        if (result.Format is { } format)
        {
            json["format"] = FormatName(format);
            json["z_dim"] = result.Options.ZDim;
            if (result.Options.Model == ModelKind.Gmvae)
                json["k"] = result.Options.K;
        }
        if (result.Metrics.LowerBound is { } e)
        {
            (json["nelbo"], json["kl"], json["rec"]) = (e.Nelbo, e.Kl, e.Rec);
            json["iwae"] = new JsonObject(e.Iwae.Select(p =>
                KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)p.Value)));
        }
        if (result.Metrics.Accuracy is { } accuracy)
            json["accuracy"] = accuracy;
        json["seconds"] = result.Seconds;
        json["ms_per_step"] = result.MsPerStep;
        json["checkpoint"] = result.Checkpoint;
        json["grid"] = result.Grid;
        return json;
    }

    /// <summary>Replicates: every metric's mean and standard error, and each run's own object.</summary>
    public static JsonObject ToJson(IReadOnlyList<RunResult> runs, IReadOnlyDictionary<string, MetricSummary> summary)
    {
        var json = new JsonObject();
        foreach (var (metric, value) in summary)
            json[metric] = new JsonObject { ["mean"] = value.Mean, ["standard_error"] = value.StandardError };
        json["runs"] = new JsonArray([.. runs.Select(r => (JsonNode)ToJson(r))]);
        return json;
    }
}
