using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WebGen.Tools.LoadBench;

/// <summary>
/// A class-mode WebGen process of its own: a free loopback port, a temporary database and runs folder, open
/// registration, an instructor; stopped and cleaned up on dispose.
/// </summary>
public sealed class Server : IAsyncDisposable
{
    public const string InstructorEmail = "teacher@bench.test";
    public const string InstructorPassword = "Bench-Teach-2026!";

    private readonly Process process;
    private readonly string folder;

    public Uri Address { get; }

    private Server(Process process, string folder, Uri address) => (this.process, this.folder, Address) = (process, folder, address);

    public static async Task<Server> StartAsync(string webAppDll, string dataFolder, CancellationToken cancellationToken)
    {
        webAppDll = Path.GetFullPath(webAppDll);
        var folder = Directory.CreateTempSubdirectory("webgen-bench-load-").FullName;
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            // The content root is the working folder: the app's own relative paths (wwwroot-assets) resolve from WebApp/.
            WorkingDirectory = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(webAppDll)!, "..", "..", "..")),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] arguments =
        [
            webAppDll, "--urls", address.ToString().TrimEnd('/'),
            "--WebGen:DataFolder", dataFolder,
            "--WebGen:RunsFolder", Path.Combine(folder, "runs"),
            "--ConnectionStrings:Runs", $"Data Source={Path.Combine(folder, "web.db")}",
            "--WebGen:Mode", "class",
            "--WebGen:Class:InstructorEmail", InstructorEmail,
            "--WebGen:Class:InstructorPassword", InstructorPassword,
            "--WebGen:Class:Registration", "open",
            "--Logging:LogLevel:Default", "Warning",
        ];
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var log = Path.Combine(folder, "server.log");
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new Server(process, folder, address);
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (process.HasExited)
            {
                var failure = $"the web app exited with code {process.ExitCode} at start:\n{string.Join('\n', File.ReadLines(log).TakeLast(15))}";
                await server.DisposeAsync();
                throw new InvalidOperationException(failure);
            }
            try
            {
                if ((await probe.GetAsync("/healthz", cancellationToken)).IsSuccessStatusCode)
                    return server;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException("the web app did not answer /healthz within 90 s");
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>The process's peak resident memory so far (VmHWM), in megabytes.</summary>
    public double PeakMemoryMegabytes => StatusKilobytes("VmHWM:") / 1024.0;

    /// <summary>The process's resident memory now (VmRSS), in megabytes.</summary>
    public double MemoryMegabytes => StatusKilobytes("VmRSS:") / 1024.0;

    public bool HasExited => process.HasExited;

    /// <summary>CPU time the process has used so far (user and system, from /proc/PID/stat).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th, in clock ticks.
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                        + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
    }

    private long StatusKilobytes(string field)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
