using System.Diagnostics;
using System.Net;
using System.Text;
using WebGen.WebApp.Tests;

namespace WebGen.Tools.Cluster;

/// <summary>
/// One real WebGen process (<c>dotnet WebGen.WebApp.dll</c>, as <c>./webgen serve</c> runs it) in a role, on a free
/// loopback port, with a home folder of its own as on a machine of its own (nothing, such as ASP.NET Core's default key
/// folder, is shared between two processes unless WebGen shares it); ready once its /healthz answers. Its output is kept
/// for a failure message and, when asked, in a log file. Shared by the process-level tests and <c>./webgen bench cluster</c>.
/// </summary>
public sealed class WebGenProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly string home;
    private readonly StringBuilder output = new();
    private readonly StreamWriter? log;

    public Uri Address { get; }
    public string? Role { get; }
    public int ProcessId => process.Id;
    public bool HasExited => process.HasExited;

    /// <summary>What the process printed so far, for a failure message.</summary>
    public string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    private WebGenProcess(Process process, string home, Uri address, string? role, StreamWriter? log) =>
        (this.process, this.home, Address, Role, this.log) = (process, home, address, role, log);

    /// <summary>
    /// Starts <paramref name="webAppDll"/> with <c>--roles <paramref name="role"/></c> (none: the default, both) and these
    /// settings (configuration keys), and returns once its /healthz answers (at most 2 minutes: two busy cores).
    /// </summary>
    public static async Task<WebGenProcess> StartAsync(string webAppDll, string? role, IReadOnlyDictionary<string, string> settings,
        string? logPath = null, CancellationToken cancellationToken = default)
    {
        var server = Start(webAppDll, role, settings, logPath);
        try
        {
            await server.WaitHealthyAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs the app until it exits by itself (a one-shot step such as WebGen:MigrateOnly): its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(string webAppDll, IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        await using var app = Start(webAppDll, null, settings, null);
        using var limit = new CancellationTokenSource(timeout);
        await app.process.WaitForExitAsync(limit.Token);
        return (app.process.ExitCode, app.Output);
    }

    private static WebGenProcess Start(string webAppDll, string? role, IReadOnlyDictionary<string, string> settings, string? logPath)
    {
        webAppDll = Path.GetFullPath(webAppDll);
        var address = new Uri($"http://127.0.0.1:{ServerProcesses.FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            // WebApp/ (the dll is in WebApp/bin/<configuration>/net10.0): the content root, as ./webgen serve has it.
            WorkingDirectory = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(webAppDll)!, "..", "..", "..")),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var home = Directory.CreateTempSubdirectory("webgen-home-").FullName;
        start.Environment["HOME"] = home;
        start.ArgumentList.Add(webAppDll);
        foreach (var argument in (string[])["--urls", address.ToString().TrimEnd('/')])
            start.ArgumentList.Add(argument);
        if (role is not null)
        {
            start.ArgumentList.Add("--roles");
            start.ArgumentList.Add(role);
        }
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}");
            start.ArgumentList.Add(value);
        }
        var log = logPath is null ? null : new StreamWriter(logPath, append: true) { AutoFlush = true };
        var server = new WebGenProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"), home, address, role, log);
        server.process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server.process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server.process.BeginOutputReadLine();
        server.process.BeginErrorReadLine();
        return server;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output)
        {
            output.AppendLine(line);
            log?.WriteLine(line);
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"WebGen ({Role ?? "both"}) on {Address} exited with code {process.ExitCode} at start:\n{Output}");
            try
            {
                if ((await probe.GetAsync("/healthz", cancellationToken)).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"WebGen ({Role ?? "both"}) on {Address} did not answer /healthz within 2 minutes:\n{Output}");
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>kill -9: the process dies at once, with no chance to hand anything back, as when its machine dies.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true); // SIGKILL on Linux
        await process.WaitForExitAsync();
    }

    /// <summary>A graceful stop (SIGTERM), waited for.</summary>
    public async Task StopAsync()
    {
        if (!process.HasExited)
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
        lock (output)
            log?.Dispose();
        Directory.Delete(home, recursive: true);
    }
}
