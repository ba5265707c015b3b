using System.Xml.Linq;
using WebGen.Tools.TestSummary;

namespace WebGen.Tests;

/// <summary>The summary that ends <c>./webgen test</c>, over TRX files written here as dotnet test writes them.</summary>
public sealed class TrxSummaryTests : IDisposable
{
    private static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-trx-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static XElement Passed(string name) =>
        new(Trx + "UnitTestResult", new XAttribute("testName", name), new XAttribute("duration", "00:00:00.0100000"), new XAttribute("outcome", "Passed"));

    private static XElement Failed(string name, string message) =>
        new(Trx + "UnitTestResult", new XAttribute("testName", name), new XAttribute("duration", "00:00:01.5000000"), new XAttribute("outcome", "Failed"),
            new XElement(Trx + "Output", new XElement(Trx + "ErrorInfo",
                new XElement(Trx + "Message", message), new XElement(Trx + "StackTrace", "   at WebGen.Tests.Somewhere()"))));

    /// <summary>One test project's TRX file: its results, the run's outcome and counters, and a run message if any.</summary>
    private void Write(string name, string outcome, (int Total, int Passed, int Failed) counts, XElement[] results, string? runMessage = null) =>
        new XDocument(new XElement(Trx + "TestRun",
            new XElement(Trx + "Results", results),
            new XElement(Trx + "TestDefinitions", new XElement(Trx + "UnitTest",
                new XElement(Trx + "TestMethod", new XAttribute("codeBase", $"/repo/tests/{name}/bin/Release/net10.0/{name}.dll")))),
            new XElement(Trx + "ResultSummary", new XAttribute("outcome", outcome),
                new XElement(Trx + "Counters", new XAttribute("total", counts.Total), new XAttribute("executed", counts.Total),
                    new XAttribute("passed", counts.Passed), new XAttribute("failed", counts.Failed), new XAttribute("error", 0),
                    new XAttribute("timeout", 0), new XAttribute("aborted", 0)),
                runMessage is null ? null : new XElement(Trx + "RunInfos", new XElement(Trx + "RunInfo",
                    new XAttribute("outcome", "Error"), new XElement(Trx + "Text", runMessage))))))
        .Save(Path.Combine(folder, name + ".trx"));

    private (int ExitCode, string Output, string[] Log) Summarise()
    {
        var (output, log) = (new StringWriter(), new StringWriter());
        var exitCode = TrxSummary.Print(folder, output, log);
        return (exitCode, output.ToString(), log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void AllPassed_AddsTheProjectsUpAndExitsWith0()
    {
        Write("WebGen.Tests", "Completed", (3, 2, 0), [Passed("A.One"), Passed("A.Two")]);
        Write("WebGen.WebApp.Tests", "Completed", (1, 1, 0), [Passed("B.One")]);

        var (exitCode, output, log) = Summarise();

        Assert.Equal(0, exitCode);
        Assert.Equal("3 passed, 0 failed, 1 skipped\n", output.ReplaceLineEndings("\n"));
        Assert.Empty(log);
    }

    [Fact]
    public void OneFailed_ListsItsNameDurationAndFirstSixMessageLinesAndExitsWith1()
    {
        var message = string.Join('\n', Enumerable.Range(1, 8).Select(i => $"line {i} <&>"));
        Write("WebGen.Tests", "Failed", (2, 1, 1), [Passed("A.One"), Failed("A.Two(x: \"y\")", message)]);

        var (exitCode, output, log) = Summarise();

        Assert.Equal(1, exitCode);
        Assert.Equal("1 passed, 1 failed, 0 skipped", output.Trim());
        Assert.Equal(
            ["[webgen] test: failed tests:", "[webgen]   FAILED A.Two(x: \"y\") (00:00:01.5000000)",
             .. Enumerable.Range(1, 6).Select(i => $"[webgen]     line {i} <&>")],
            log.Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void AbortedRun_CountsAsOneFailureWithItsReason()
    {
        Write("WebGen.WebApp.Tests", "Failed", (1, 1, 0), [Passed("B.One")],
            runMessage: "The active test run was aborted. Reason: Test host process crashed");

        var (exitCode, output, log) = Summarise();

        Assert.Equal(1, exitCode);
        Assert.Equal("1 passed, 1 failed, 0 skipped", output.Trim());
        Assert.Equal("[webgen] test: the run of WebGen.WebApp.Tests.dll did not finish (outcome Failed: The active test run was aborted. " +
                     "Reason: Test host process crashed); counted as 1 failure", Assert.Single(log).TrimEnd('\r'));
    }

    [Fact]
    public void NoResultFiles_SaysSoAndExitsWith1()
    {
        var (exitCode, output, log) = Summarise();

        Assert.Equal(1, exitCode);
        Assert.Equal("0 passed, 0 failed, 0 skipped", output.Trim());
        Assert.Equal("[webgen] test: no test results were written (did the test host crash before starting?)", Assert.Single(log).TrimEnd('\r'));
    }
}
