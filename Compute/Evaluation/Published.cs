namespace WebGen.Compute.Evaluation;

/// <summary>A published number to compare with: the official solutions' CPU and GPU runs and the grader's band.</summary>
public sealed record PublishedResult(string Cpu, string Gpu, string Band);

/// <summary>The official CS236 HW2 solution numbers (50 runs each, mean ± standard deviation), from protocol.md.</summary>
public static class Published
{
    /// <summary>Keyed by experiment name, then metric name as in <see cref="Training.Replicates.Metrics"/>.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, PublishedResult>> Results =
        new Dictionary<string, IReadOnlyDictionary<string, PublishedResult>>
        {
            ["vae"] = new Dictionary<string, PublishedResult>
            {
                ["nelbo"] = new("99.20 ± 0.56", "101.21 ± 0.61", Grading.VaeNelbo.ToString()),
                ["kl"] = new("", "≈ 19.3", ""),
                ["rec"] = new("", "≈ 82", ""),
                ["iwae_1"] = new("99.20", "101.21", ""),
                ["iwae_10"] = new("96.52", "98.50", ""),
                ["iwae_100"] = new("95.54", "97.46", ""),
                ["iwae_1000"] = new("95.07", "96.93", ""),
            },
            ["gmvae"] = new Dictionary<string, PublishedResult>
            {
                ["nelbo"] = new("96.75", "98.58 ± 0.46", Grading.GmvaeNelbo.ToString()),
                ["kl"] = new("", "≈ 17.8", ""),
                ["iwae_1"] = new("96.75", "98.58", ""),
                ["iwae_10"] = new("94.30", "96.12", ""),
                ["iwae_100"] = new("93.43", "95.16", ""),
                ["iwae_1000"] = new("92.98", "94.71", ""),
            },
            ["ssvae-gw0"] = new Dictionary<string, PublishedResult> { ["accuracy"] = new("", "0.735", Grading.SsvaeGw0Accuracy.ToString()) },
            ["ssvae-gw1"] = new Dictionary<string, PublishedResult> { ["accuracy"] = new("", "0.9352 ± 0.0109", Grading.SsvaeGw1Accuracy.ToString()) },
        };
}
