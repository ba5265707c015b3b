namespace WebGen.WebApp.Tests;

/// <summary>
/// A throw-away PostgreSQL 15 server for the tests of a class: made by initdb in a temporary folder and run on a free
/// port, then stopped and deleted. PostgreSQL refuses to run as root: tests run as root start it as the user nobody.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private const string User = "webgen";

    private readonly string folder = Directory.CreateTempSubdirectory("webgen-postgres-").FullName;
    private readonly int port = ServerProcesses.FreePort();

    private string Data => Path.Combine(folder, "data");

    /// <summary>A connection to <paramref name="database"/> (created by the app's migrations when it does not exist yet).</summary>
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={port};Username={User};Database={database};Pooling=false";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "postgres")))
            throw new InvalidOperationException($"{Bin}/postgres not found: the PostgreSQL tests need PostgreSQL 15 (apt-get install postgresql).");
        if (ServerProcesses.AsRoot)
            await ServerProcesses.RunAsync("chown", "nobody", folder);
        await ServerProcesses.RunAsServerAsync($"{Bin}/initdb", "-D", Data, "-U", User, "--auth=trust", "--no-sync", "-E", "UTF8");
        await StartAsync();
    }

    /// <summary>Only on 127.0.0.1 and a socket in its own folder; no fsync: the data is thrown away.</summary>
    private Task StartAsync() =>
        ServerProcesses.RunAsServerAsync($"{Bin}/pg_ctl", "-D", Data, "-l", Path.Combine(folder, "server.log"), "-w", "-o", $"-p {port} -k {folder} -h 127.0.0.1 -F", "start");

    /// <summary>Stops the server (every connection cut), keeps it down for <paramref name="down"/>, and starts it again on the same data and port.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        await ServerProcesses.RunAsServerAsync($"{Bin}/pg_ctl", "-D", Data, "-m", "fast", "-w", "stop");
        await Task.Delay(down);
        await StartAsync();
    }

    public async Task DisposeAsync()
    {
        await ServerProcesses.RunAsServerAsync($"{Bin}/pg_ctl", "-D", Data, "-m", "fast", "-w", "stop");
        Directory.Delete(folder, recursive: true);
    }
}
