using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WebGen.WebApp.Tests;

/// <summary>
/// One real WebGen process (the built WebGen.WebApp.dll, as <c>./webgen serve</c> runs it) on a free port of
/// 127.0.0.1 with the given settings as flags; its output is kept for the failure message. Disposing it kills it.
/// </summary>
public sealed class WebGenProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly string home;
    private readonly StringBuilder output = new();

    private WebGenProcess(Process process, string home, Uri address) => (this.process, this.home, Address) = (process, home, address);

    public Uri Address { get; }

    /// <summary>What the process printed so far (its log), for a test's failure message.</summary>
    public string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    /// <summary>Starts the app and returns once its /healthz answers (at most 2 minutes: two busy cores).</summary>
    public static async Task<WebGenProcess> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        var app = Start(settings);
        await app.WaitHealthyAsync();
        return app;
    }

    /// <summary>Runs the app until it exits by itself (a one-shot step such as WebGen:MigrateOnly); its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        await using var app = Start(settings);
        using var limit = new CancellationTokenSource(timeout);
        await app.process.WaitForExitAsync(limit.Token);
        return (app.process.ExitCode, app.Output);
    }

    private static WebGenProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var root = WebGenFactory.RepositoryRoot();
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.Combine(root, "WebApp"), // the content root, as ./webgen serve has it
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A home of its own, as on a machine of its own: nothing (such as ASP.NET Core's default key folder
        // ~/.aspnet/DataProtection-Keys) is shared between two processes unless WebGen shares it.
        var home = Directory.CreateTempSubdirectory("webgen-home-").FullName;
        start.Environment["HOME"] = home;
        foreach (var argument in (string[])[Path.Combine(root, "WebApp", "bin", "Release", "net10.0", "WebGen.WebApp.dll"), "--urls", address.ToString()])
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}");
            start.ArgumentList.Add(value);
        }
        var app = new WebGenProcess(Process.Start(start)!, home, address);
        app.process.OutputDataReceived += (_, e) => app.Append(e.Data);
        app.process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        app.process.BeginOutputReadLine();
        app.process.BeginErrorReadLine();
        return app;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output)
            output.AppendLine(line);
    }

    private async Task WaitHealthyAsync()
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"WebGen on {Address} exited with {process.ExitCode}:\n{Output}");
            try
            {
                if ((await client.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException) { } // not listening yet
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"WebGen on {Address} did not answer /healthz within 2 minutes:\n{Output}");
            await Task.Delay(200);
        }
    }

    /// <summary>kill -9: the process ends at once, as when its machine dies.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
        Directory.Delete(home, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
