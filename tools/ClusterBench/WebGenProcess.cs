using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WebGen.Tools.Cluster;

/// <summary>
/// One real WebGen process (<c>dotnet WebGen.WebApp.dll</c>) in a role, on a free loopback port, with its output in a
/// log file; ready once its /healthz answers. Shared by the cluster tests and <c>./webgen bench cluster</c>.
/// </summary>
public sealed class WebGenProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;

    public Uri Address { get; }
    public string Role { get; }
    public string LogPath { get; }
    public int ProcessId => process.Id;
    public bool HasExited => process.HasExited;

    private WebGenProcess(Process process, StreamWriter log, Uri address, string role, string logPath) =>
        (this.process, this.log, Address, Role, LogPath) = (process, log, address, role, logPath);

    /// <summary>Starts <paramref name="webAppDll"/> with <c>--roles <paramref name="role"/></c> and these settings (configuration keys).</summary>
    public static async Task<WebGenProcess> StartAsync(
        string webAppDll, string role, IReadOnlyDictionary<string, string> settings, string logPath, CancellationToken cancellationToken)
    {
        webAppDll = Path.GetFullPath(webAppDll);
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            // The content root is the repository: the app's own relative paths (wwwroot-assets) resolve from it.
            WorkingDirectory = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(webAppDll)!, "..", "..", "..")),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(webAppDll);
        foreach (var argument in (string[])["--urls", address.ToString().TrimEnd('/'), "--roles", role])
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}");
            start.ArgumentList.Add(value);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var writer = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new WebGenProcess(process, writer, address, role, logPath);
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"the {role} process exited with code {process.ExitCode} at start; its log: {logPath}");
            }
            try
            {
                if ((await probe.GetAsync("/healthz", cancellationToken)).IsSuccessStatusCode)
                    return server;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"the {role} process did not answer /healthz within 120 s; its log: {logPath}");
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>kill -9: the process dies at once, with no chance to hand anything back.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
            process.Kill(); // SIGKILL on Linux
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
        lock (log)
            log.Dispose();
    }
}
