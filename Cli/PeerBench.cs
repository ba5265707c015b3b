using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using WebGen.Compute;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Cli;

/// <summary>
/// <c>bench peer</c>: the homework's PyTorch loop (tools/crosscheck/reference_training.py) and WebGen's trainer on
/// the same model, batch, seed and threads, alternated round by round in one run so the machine's load falls on
/// both alike; each one's ms/step (median, min, max over the rounds) and WebGen's over PyTorch's.
/// </summary>
internal static partial class PeerBench
{
    /// <summary>The models the reference script trains.</summary>
    private static readonly ModelKind[] Models = [ModelKind.Vae, ModelKind.Gmvae, ModelKind.Ssvae];

    public static JsonNode Run(
        string python, string script, string dataRoot, int iterations, int rounds, TextWriter report, CancellationToken cancellationToken)
    {
        if (!File.Exists(script))
            throw new FileNotFoundException($"no reference script at {script}.", script);
        if (!File.Exists(python))
            throw new FileNotFoundException($"no Python at {python}; ./webgen bench peer installs Debian's python3-torch.", python);
        var threads = Devices.IntraOpThreads;
        var result = new JsonObject();
        foreach (var model in Models)
        {
            var options = TrainingOptions.For(model) with { Iterations = iterations, Device = "cpu" };
            var (webgen, pytorch) = (new List<double>(), new List<double>());
            using (NewDisposeScope())
            {
                var data = DataSet.Mnist.LoadTraining(options, dataRoot, CPU);
                for (var round = 0; round < rounds; round++)
                {
                    pytorch.Add(Reference(python, script, DataSet.Mnist.Folder(dataRoot), options, threads, cancellationToken));
                    webgen.Add(Benchmark.TrainerMsPerStep(options, data, cancellationToken));
                }
            }
            var ratio = Median(webgen) / Median(pytorch);
            report.WriteLine($"{ModelNames.Title(model)}, {iterations} steps of batch {options.BatchSize}, {threads} intra-op threads, {rounds} rounds alternated:");
            report.WriteLine($"  WebGen   {Describe(webgen)}");
            report.WriteLine($"  PyTorch  {Describe(pytorch)}");
            report.WriteLine($"  ratio    {ratio:F3} (WebGen's median over PyTorch's)");
            result[ModelNames.Of(model)] = new JsonObject { ["webgen_ms"] = Median(webgen), ["pytorch_ms"] = Median(pytorch), ["ratio"] = ratio };
        }
        return result;
    }

    private static string Describe(List<double> ms) =>
        $"median {Median(ms),8:F2} ms/step  min {ms.Min(),8:F2}  max {ms.Max(),8:F2}";

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>One run of the reference script; its last line gives the ms/step of all its steps.</summary>
    private static double Reference(string python, string script, string mnist, TrainingOptions options, int threads, CancellationToken cancellationToken)
    {
        var output = Path.Combine(Path.GetTempPath(), $"webgen-peer-{Environment.ProcessId}.pt");
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                script, mnist, options.Seed.ToString(CultureInfo.InvariantCulture), options.Iterations.ToString(CultureInfo.InvariantCulture),
                output, ModelNames.Of(options.Model), threads.ToString(CultureInfo.InvariantCulture),
            },
        };
        using var process = Process.Start(start) ?? throw new InvalidDataException($"{python} did not start.");
        using var kill = cancellationToken.Register(() => process.Kill(entireProcessTree: true));
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        File.Delete(output);
        cancellationToken.ThrowIfCancellationRequested();
        if (process.ExitCode != 0 || lines.Length == 0 || MsPerStep().Match(lines[^1]) is not { Success: true } match)
            throw new InvalidDataException(
                $"the reference script failed (exit {process.ExitCode}): {stderr.Result.Trim().Split('\n').LastOrDefault()}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"([0-9.]+) ms/step\s*$")]
    private static partial Regex MsPerStep();
}
