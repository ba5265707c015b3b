using System.Text.Json.Nodes;
using WebGen.Compute.Explorers;
using WebGen.Shared;

namespace WebGen.Cli;

/// <summary><c>webgen bench explorers</c>: the server time of each explorer's interaction, idle and beside a training run.</summary>
public static class ExplorerBench
{
    public const string Usage = """
          bench explorers  [--interactions 200] [--idle-only] [--data data] [--json]
                     server time per interaction of each latent explorer (interpolation, traversal, latent map,
                     mixture samples; median and 95th percentile), idle and while a VAE trains on the same cores,
                     and the latent map's first computation; --json's last line maps each explorer to median_ms, p95_ms
        """;

    public static JsonNode Run(CommandLine line, TextWriter report, CancellationToken cancellationToken)
    {
        var interactions = line.Int("--interactions", 200, 10, 100_000);
        var idleOnly = line.Switch("--idle-only");
        var data = line.String("--data", "data");
        line.EnsureAllUsed(positionals: 1);

        var firstMap = ExplorerBenchmark.FirstMapMs(ModelKind.Vae, data);
        report.WriteLine($"latent map, first computation (load and encode {ExplorerLimits.MapImages:N0} test images, project): {firstMap:F0} ms");
        var busy = idleOnly ? null : TrainingOptions.For(ModelKind.Vae) with { Iterations = 10_000_000, Device = "cpu" };
        var timings = ExplorerBenchmark.Interactions(data, interactions, busy, cancellationToken);
        var result = new JsonObject { ["map_first_ms"] = Math.Round(firstMap, 1) };
        foreach (var t in timings)
        {
            var loaded = t.BusyMedianMs is { } median ? $"; while a VAE trains: median {median:F2} ms, p95 {t.BusyP95Ms:F2} ms" : "";
            report.WriteLine($"{t.Explorer,-18} ({t.Model}) over {t.Interactions}: median {t.MedianMs:F2} ms, p95 {t.P95Ms:F2} ms{loaded}");
            result[t.Explorer] = new JsonObject
            {
                ["median_ms"] = Math.Round(t.MedianMs, 2),
                ["p95_ms"] = Math.Round(t.P95Ms, 2),
                ["busy_median_ms"] = t.BusyMedianMs is { } m ? Math.Round(m, 2) : null,
                ["busy_p95_ms"] = t.BusyP95Ms is { } p ? Math.Round(p, 2) : null,
            };
        }
        return result;
    }
}
