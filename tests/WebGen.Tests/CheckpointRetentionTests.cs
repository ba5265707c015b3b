using WebGen.Compute.Checkpoints;

namespace WebGen.Tests;

/// <summary>What a run folder keeps as checkpoints are saved: the newest and the homework's 10,000-step ones.</summary>
public sealed class CheckpointRetentionTests : IDisposable
{
    private readonly string runDir = Directory.CreateTempSubdirectory("webgen-retention-").FullName;

    public void Dispose() => Directory.Delete(runDir, recursive: true);

    /// <summary>Writes model-{step}.pt as Save does, then lets retention run as Save does after it.</summary>
    private void Save(int step)
    {
        File.WriteAllText(Path.Combine(runDir, Checkpoint.FileName(step)), "weights");
        Checkpoint.RemoveSuperseded(runDir);
    }

    private string[] Remaining() => [.. Directory.EnumerateFiles(runDir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public void CheckpointEveryStep_For200Steps_KeepsOnlyTheNewest()
    {
        for (var step = 1; step <= 200; step++)
            Save(step);
        Assert.Equal(["model-00200.pt"], Remaining());
    }

    [Fact]
    public void SavesPast10000And20000_KeepThoseAndTheNewest()
    {
        foreach (var step in new[] { 5_000, 10_000, 15_000, 20_000, 25_000, 26_000 })
            Save(step);
        Assert.Equal(["model-10000.pt", "model-20000.pt", "model-26000.pt"], Remaining());
    }

    [Fact]
    public void OtherFiles_AreLeftAlone()
    {
        File.WriteAllText(Path.Combine(runDir, Checkpoint.OptionsFile), "{}");
        File.WriteAllText(Path.Combine(runDir, Checkpoint.OptimizerFile), "moments");
        File.WriteAllText(Path.Combine(runDir, "model-best.pt"), "weights");
        Save(1);
        Save(2);
        Assert.Equal(["model-00002.pt", "model-best.pt", Checkpoint.OptimizerFile, Checkpoint.OptionsFile], Remaining());
    }
}
