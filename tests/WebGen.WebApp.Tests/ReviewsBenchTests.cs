using System.Text.Json;
using WebGen.Tests.Common;

namespace WebGen.WebApp.Tests;

/// <summary>
/// <c>./webgen bench reviews</c> (tools/ReviewsBench, built with the solution) as a user meets it: one line and exit
/// code 2 for a flag it cannot take; with a small count, a real server's batch evaluated and the JSON line's shape.
/// </summary>
public sealed class ReviewsBenchTests
{
    /// <summary>The build's configuration folder (Release, Debug), as this test assembly was built.</summary>
    private static readonly string Configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] flags)
    {
        var root = WebGenFactory.RepositoryRoot();
        return DotnetProgram.Run(Path.Combine(root, "tools", "ReviewsBench", "bin", Configuration, "net10.0", "webgen-reviewsbench.dll"),
            ["--webapp", Path.Combine(root, "WebApp", "bin", Configuration, "net10.0", "WebGen.WebApp.dll"), "--data", WebGenFactory.DataFolder(), .. flags], root);
    }

    [Theory]
    [InlineData("--count 0", "--count 0: accepted values are 1 to 1000.")]
    [InlineData("--count 1e9", "--count 1e9: accepted values are 1 to 1000.")]
    [InlineData("--count", "--count needs a value.")]
    [InlineData("--bogus 3", "unknown flag --bogus for 'bench reviews'; accepted: --count, --data, --fixtures, --json, --webapp.")]
    [InlineData("--fixtures /nonexistent", "/nonexistent/vae_zip.pt: no such file.")]
    public void BenchReviews_BadFlag_ExitsWith2AndNamesTheFlagAndWhatIsAccepted(string flags, string message)
    {
        var (exitCode, _, stderr) = Run(flags.Split(' '));

        Assert.Equal((2, $"webgen bench reviews: {message}"), (exitCode, stderr.TrimEnd()));
    }

    [Fact]
    public void BenchReviews_WithJson_EvaluatesTheBatch_AndItsLastLineGivesSubmissionsPerMinute()
    {
        var (exitCode, stdout, stderr) = Run("--count", "2", "--json");

        Assert.True(exitCode == 0, stderr + stdout);
        var result = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal((2, 2, 0, 0), (result.GetProperty("count").GetInt32(), result.GetProperty("evaluated").GetInt32(),
            result.GetProperty("failed").GetInt32(), result.GetProperty("refused").GetInt32()));
        var seconds = result.GetProperty("seconds").GetDouble();
        Assert.True(seconds > 0, $"seconds {seconds}");
        Assert.Equal(2 / (seconds / 60), result.GetProperty("submissions_per_minute").GetDouble(), 0.1); // the figure is the count over the time measured
    }
}
