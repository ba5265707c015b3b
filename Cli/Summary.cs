using System.Text.Json.Nodes;
using WebGen.Compute.Training;

namespace WebGen.Cli;

/// <summary>A run's result as a few readable lines and as the <c>--json</c> object.</summary>
public static class Summary
{
    public static void Write(TextWriter output, RunResult result)
    {
        var e = result.Evaluation;
        output.WriteLine($"{result.Options.Model} seed {result.Options.Seed}: NELBO {e.Nelbo:F2}  KL {e.Kl:F2}  Rec {e.Rec:F2}");
        output.WriteLine("  " + string.Join("  ", e.Iwae.Select(p => $"IWAE-{p.Key} {p.Value:F2}")));
        if (result.Seconds > 0)
            output.WriteLine($"  trained in {result.Seconds:F0} s ({result.MsPerStep:F2} ms/step)");
        output.WriteLine($"  checkpoint {result.Checkpoint}");
        output.WriteLine($"  grid       {result.Grid}");
    }

    public static JsonObject ToJson(RunResult result)
    {
        var e = result.Evaluation;
        var iwae = new JsonObject();
        foreach (var (m, value) in e.Iwae)
            iwae[m.ToString(System.Globalization.CultureInfo.InvariantCulture)] = value;
        return new JsonObject
        {
            ["model"] = result.Options.Model.ToString().ToLowerInvariant(),
            ["seed"] = result.Options.Seed,
            ["run"] = result.Options.Run,
            ["iterations"] = result.Options.Iterations,
            ["nelbo"] = e.Nelbo,
            ["kl"] = e.Kl,
            ["rec"] = e.Rec,
            ["iwae"] = iwae,
            ["seconds"] = result.Seconds,
            ["ms_per_step"] = result.MsPerStep,
            ["checkpoint"] = result.Checkpoint,
            ["grid"] = result.Grid,
        };
    }
}
