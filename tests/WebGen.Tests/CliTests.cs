using System.Diagnostics;

namespace WebGen.Tests;

/// <summary>The command line as a user meets it: the real executable, its exit code and its one-line errors.</summary>
public class CliTests
{
    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "webgen-cli.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    [Theory]
    [InlineData("--iterations 0", "--iterations 0: accepted values are whole numbers from 1 to 10000000.")]
    [InlineData("--iterations -5", "--iterations -5: accepted values are whole numbers from 1 to 10000000.")]
    [InlineData("--lr 0", "--lr 0: accepted values are numbers greater than 0 and at most 1.")]
    [InlineData("--lr abc", "--lr abc: accepted values are numbers greater than 0 and at most 1.")]
    [InlineData("--batch 60001", "--batch 60001: accepted values are whole numbers from 1 to 60000.")]
    [InlineData("--device tpu", "--device tpu: accepted values are auto, cpu, cuda.")]
    [InlineData("--itterations 10", "unknown flag --itterations for 'train'; accepted:")]
    [InlineData("--seed", "--seed needs a value.")]
    [InlineData("--gw -1", "--gw -1: accepted values are numbers from 0 to 1000.")]
    public void Train_BadFlag_ExitsWith2AndNamesTheFlagAndRange(string flags, string message)
    {
        var (exitCode, _, stderr) = Run(["train", "vae", .. flags.Split(' ')]);
        Assert.Equal(2, exitCode);
        Assert.StartsWith("webgen train: " + message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Train_UnknownModel_ListsTheModels()
    {
        var (exitCode, _, stderr) = Run("train", "gan");
        Assert.Equal(2, exitCode);
        Assert.Contains("unknown model 'gan'; accepted: vae, gmvae, ssvae", stderr);
    }

    [Fact]
    public void Eval_MissingCheckpoint_IsAClearError()
    {
        var (exitCode, _, stderr) = Run("eval", "vae", "--checkpoint", "/nonexistent/model-20000.pt");
        Assert.Equal(2, exitCode);
        Assert.Equal("webgen eval: --checkpoint /nonexistent/model-20000.pt: no such file.", stderr.Trim());
    }

    [Fact]
    public void Eval_WithoutCheckpoint_SaysItIsRequired()
    {
        var (exitCode, _, stderr) = Run("eval", "vae");
        Assert.Equal(2, exitCode);
        Assert.Contains("--checkpoint PATH is required", stderr);
    }

    [Fact]
    public void UnknownVerb_ListsTheVerbs()
    {
        var (exitCode, _, stderr) = Run("frobnicate");
        Assert.Equal(2, exitCode);
        Assert.Contains("unknown verb 'frobnicate'", stderr);
    }

    [Fact]
    public void Train_TinyRunWithJson_EndsWithOneJsonObject()
    {
        var output = Directory.CreateTempSubdirectory("webgen-cli-").FullName;
        try
        {
            var (exitCode, stdout, stderr) = Run("train", "vae", "--iterations", "20", "--device", "cpu", "--out", output,
                "--data", Path.GetDirectoryName(TestData.MnistFolder)!, "--json");
            Assert.True(exitCode == 0, stderr);
            using var json = System.Text.Json.JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
            var root = json.RootElement;
            foreach (var key in new[] { "nelbo", "kl", "rec", "seconds", "ms_per_step" })
                Assert.True(root.GetProperty(key).GetDouble() > 0, key);
            Assert.Equal(4, root.GetProperty("iwae").EnumerateObject().Count());
            Assert.True(File.Exists(root.GetProperty("checkpoint").GetString()));
            Assert.True(File.Exists(root.GetProperty("grid").GetString()));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
