using System.Xml.Linq;

namespace WebGen.Tools.TestSummary;

/// <summary>
/// "N passed, N failed, N skipped" over every .trx file in a folder, with each failed test's name, duration and the
/// first lines of its message printed last, so that a CI log that keeps only its tail still says what failed and why.
/// A run that stopped early (its test host crashed or was killed) lists only the tests that finished, all of which
/// may have passed: it counts as one failure, so the total never looks green.
/// </summary>
public static class TrxSummary
{
    private const int MessageLines = 6;
    private static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
    private static readonly string[] FailedOutcomes = ["Failed", "Error", "Timeout"];
    private static readonly string[] FailedCounters = ["failed", "error", "timeout", "aborted"];

    /// <summary>Writes the summary line to <paramref name="output"/> and the rest to <paramref name="log"/>; 0 when
    /// tests ran and none failed, else 1.</summary>
    public static int Print(string folder, TextWriter output, TextWriter log)
    {
        var files = Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.trx", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray()
            : [];
        var runs = files.Select(file => (File: file, Run: XDocument.Load(file).Root!)).ToArray();
        int total = 0, passed = 0, failed = 0, abortedRuns = 0;
        foreach (var (file, run) in runs)
        {
            var counters = run.Element(Trx + "ResultSummary")?.Element(Trx + "Counters");
            var failedHere = FailedCounters.Sum(name => Count(counters, name));
            total += Count(counters, "total");
            passed += Count(counters, "passed");
            failed += failedHere;
            var outcome = run.Element(Trx + "ResultSummary")?.Attribute("outcome")?.Value;
            if (failedHere == 0 && outcome is not ("Completed" or "Passed"))
            {
                var assembly = run.Descendants(Trx + "TestMethod").Select(m => m.Attribute("codeBase")?.Value).FirstOrDefault(c => c is not null);
                var reason = run.Descendants(Trx + "Text").Select(t => t.Value).FirstOrDefault();
                log.WriteLine($"[webgen] test: the run of {Path.GetFileName(assembly ?? file)} did not finish (outcome {outcome}: {reason}); counted as 1 failure");
                abortedRuns++;
            }
        }
        if (files.Length == 0)
            log.WriteLine("[webgen] test: no test results were written (did the test host crash before starting?)");
        if (failed > 0)
            ListFailures(runs.Select(r => r.Run), log);
        output.WriteLine($"{passed} passed, {failed + abortedRuns} failed, {total - passed - failed} skipped");
        return files.Length > 0 && failed + abortedRuns == 0 && total > 0 ? 0 : 1;
    }

    private static int Count(XElement? counters, string name) =>
        int.TryParse(counters?.Attribute(name)?.Value, out var count) ? count : 0;

    private static void ListFailures(IEnumerable<XElement> runs, TextWriter log)
    {
        log.WriteLine("[webgen] test: failed tests:");
        foreach (var result in runs.SelectMany(r => r.Descendants(Trx + "UnitTestResult")))
        {
            if (!FailedOutcomes.Contains(result.Attribute("outcome")?.Value)) continue;
            log.WriteLine($"[webgen]   FAILED {result.Attribute("testName")?.Value} ({result.Attribute("duration")?.Value})");
            var message = result.Element(Trx + "Output")?.Element(Trx + "ErrorInfo")?.Element(Trx + "Message")?.Value ?? "";
            foreach (var line in message.Split('\n').Take(MessageLines))
                log.WriteLine($"[webgen]     {line.TrimEnd('\r')}");
        }
    }
}
