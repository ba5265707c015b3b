using System.Diagnostics;

namespace WebGen.Tests.Common;

/// <summary>
/// A built .NET program run to its end as a user runs it (<c>dotnet program.dll flags…</c>): its exit code and what it
/// printed on each stream. Shared by the test projects' command-line tests (linked into each).
/// </summary>
public static class DotnetProgram
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string dll, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }
}
