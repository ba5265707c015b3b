using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Evaluation;
using WebGen.Shared;

namespace WebGen.Compute.Training;

/// <summary>One experiment of the write-up: its replicate runs and their summary.</summary>
public sealed record ExperimentReport(string Name, TrainingOptions Options, IReadOnlyList<RunResult> Runs,
    IReadOnlyDictionary<string, MetricSummary> Summary);

/// <summary>
/// The homework's results table: VAE, GMVAE, SSVAE gw = 0 and gw = 1, each over replicate seeds, written as
/// REPORT.md and report.json beside the published numbers. Finished runs (those with a result.json) are reused,
/// so an interrupted reproduction resumes where it stopped.
/// </summary>
public static class Reproduction
{
    public const string ResultFile = "result.json";

    public static readonly IReadOnlyList<(string Name, TrainingOptions Options)> Plan =
    [
        ("vae", TrainingOptions.For(ModelKind.Vae)),
        ("gmvae", TrainingOptions.For(ModelKind.Gmvae)),
        ("ssvae-gw0", TrainingOptions.For(ModelKind.Ssvae) with { GenWeight = 0 }),
        ("ssvae-gw1", TrainingOptions.For(ModelKind.Ssvae)),
    ];

    /// <summary>Trains (or reuses) every run of the plan and writes the report.</summary>
    /// <param name="adjust">Changes applied to every run's options (seed, device, iterations override).</param>
    /// <param name="progressFor">A progress sink per run being trained, e.g. a console bar.</param>
    public static IReadOnlyList<ExperimentReport> Run(
        int runs, Func<TrainingOptions, TrainingOptions> adjust, string dataRoot, string outDir,
        Func<string, IProgress<TrainingProgress>?> progressFor, CancellationToken cancellationToken)
    {
        var reports = new List<ExperimentReport>();
        foreach (var (name, planned) in Plan)
        {
            var results = new List<RunResult>();
            for (var run = 0; run < runs; run++)
            {
                var options = adjust(planned with { Run = run });
                options = options with { Seed = options.Seed + run };
                results.Add(TrainOrReuse(name, options, dataRoot, Path.Combine(outDir, "runs"), progressFor, cancellationToken));
            }
            reports.Add(new ExperimentReport(name, results[0].Options, results, Replicates.Summarise(results)));
        }
        WriteReport(reports, outDir);
        return reports;
    }

    /// <summary>Trains one run and stores its result.json, or returns the stored one when it is complete.</summary>
    public static RunResult TrainOrReuse(string name, TrainingOptions options, string dataRoot, string runsDir,
        Func<string, IProgress<TrainingProgress>?> progressFor, CancellationToken cancellationToken)
    {
        var resultPath = Path.Combine(runsDir, Models.ModelFactory.RunName(options), ResultFile);
        if (File.Exists(resultPath)
            && JsonSerializer.Deserialize<RunResult>(File.ReadAllText(resultPath), WebGenJson.Indented) is { } stored
            && stored.Options == options)
            return stored;
        var result = Experiment.TrainAndEvaluate(options, dataRoot, runsDir, progressFor($"{name} run {options.Run}"), cancellationToken);
        File.WriteAllText(resultPath, JsonSerializer.Serialize(result, WebGenJson.Indented));
        return result;
    }

    private static void WriteReport(IReadOnlyList<ExperimentReport> reports, string outDir)
    {
        var grids = Directory.CreateDirectory(Path.Combine(outDir, "grids")).FullName;
        var md = new StringBuilder();
        var runs = reports.Max(r => r.Runs.Count);
        md.AppendLine("# CS236 HW2 results, reproduced by WebGen").AppendLine();
        md.AppendLine($"Produced by `./webgen reproduce --runs {runs}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, " +
                      $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, device " +
                      $"{reports[0].Runs[0].Options.Device}. Ours: mean ± standard error over {runs} runs (seeds " +
                      $"{reports[0].Runs[0].Options.Seed}…{reports[0].Runs[^1].Options.Seed}). Published: the official " +
                      "solutions, mean ± standard deviation over 50 runs.").AppendLine();
        md.AppendLine("| experiment | metric | ours | per run | published (CPU) | published (GPU) | accepted band |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var report in reports)
        {
            var published = Published.Results.GetValueOrDefault(report.Name);
            foreach (var (metric, summary) in report.Summary)
            {
                var reference = published?.GetValueOrDefault(metric);
                var perRun = string.Join(", ", summary.Values.Select(v => MetricSummary.Format(v)));
                md.AppendLine($"| {report.Name} ({report.Options.Iterations} it.) | {metric} | {summary} | {perRun} | {reference?.Cpu} | {reference?.Gpu} | {reference?.Band} |");
            }
            File.Copy(report.Runs[0].Grid, Path.Combine(grids, $"{report.Name}.png"), overwrite: true);
        }
        md.AppendLine().AppendLine("Sample grids (first run of each): " +
            string.Join(", ", reports.Select(r => $"[{r.Name}](grids/{r.Name}.png)")) + ".");
        File.WriteAllText(Path.Combine(outDir, "REPORT.md"), md.ToString());
        File.WriteAllText(Path.Combine(outDir, "report.json"), JsonSerializer.Serialize(reports, WebGenJson.Indented));
    }
}
