using System.Diagnostics;

namespace WebGen.Tests.Common;

/// <summary>
/// A built .NET program run to its end as a user runs it (<c>dotnet program.dll flags…</c>): its exit code and what it
/// printed on each stream. Shared by the test projects' command-line tests (linked into each).
/// </summary>
public static class DotnetProgram
{
    /// <param name="timeout">How long the program may run (unbounded when null); past it the program is killed and the call throws.</param>
    public static (int ExitCode, string Stdout, string Stderr) Run(
        string dll, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? Timeout.InfiniteTimeSpan))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} {string.Join(' ', start.ArgumentList.Skip(1))} did not exit within {timeout}.");
        }
        process.WaitForExit(); // the streams are read to their end
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
