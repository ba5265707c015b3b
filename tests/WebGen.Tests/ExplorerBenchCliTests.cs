namespace WebGen.Tests;

/// <summary><c>webgen bench explorers</c> as a careless user meets it: one line and exit code 2 for what it cannot take.</summary>
public sealed class ExplorerBenchCliTests
{
    [Theory]
    [InlineData("--interactions 0", "--interactions 0: accepted values are 10 to 100000.")]
    [InlineData("--interactions 1e9", "--interactions 1e9: accepted values are 10 to 100000.")]
    [InlineData("--interactions", "--interactions needs a value.")]
    [InlineData("--bogus 3", "unknown flag --bogus for 'bench'; accepted:")]
    public void BenchExplorers_BadFlag_ExitsWith2AndNamesTheFlagAndRange(string flags, string message)
    {
        var (exitCode, _, stderr) = CliTests.Run(["bench", "explorers", .. flags.Split(' ')]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("webgen bench: " + message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void BenchExplorers_WithoutTheTestSplit_SaysWhereItLooked()
    {
        var empty = Directory.CreateTempSubdirectory("webgen-nodata-").FullName;
        try
        {
            var (exitCode, _, stderr) = CliTests.Run("bench", "explorers", "--data", empty, "--idle-only");

            Assert.Equal(2, exitCode);
            Assert.StartsWith($"webgen bench: the MNIST test split is not in {Path.Combine(empty, "mnist")}", stderr);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
