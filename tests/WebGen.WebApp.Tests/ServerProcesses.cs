using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WebGen.WebApp.Tests;

/// <summary>
/// What the throw-away servers of the tests (<see cref="PostgresServer"/>, <see cref="RedisServer"/>) share: a free
/// loopback port, and their programs run to the end, as the user nobody when the tests run as root (neither server
/// starts as root).
/// </summary>
public static class ServerProcesses
{
    public static bool AsRoot => Environment.UserName == "root";

    /// <summary>A port of 127.0.0.1 nothing listens on: one the system just handed out and took back.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a server's program as the user nobody when the tests run as root; what it printed.</summary>
    public static Task<string> RunAsServerAsync(params string[] command) =>
        AsRoot ? RunAsync("runuser", ["-u", "nobody", "--", .. command]) : RunAsync(command[0], command[1..]);

    /// <summary>Runs <paramref name="program"/> to its end and returns what it printed; a non-zero exit throws with that output.</summary>
    public static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var said = await output + await errors;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {said}");
        return said;
    }
}
