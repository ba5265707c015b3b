namespace WebGen.WebApp.Tests;

/// <summary>
/// A throw-away Redis server (Debian's redis-server, installed by <c>./webgen test</c>) for the tests of a class: on
/// 127.0.0.1 and a free port, its files in a temporary folder, nothing saved; run as the user nobody when the tests run
/// as root. It can be stopped and started again on the same port, as a restart of Redis under a running cluster.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private const string Server = "/usr/bin/redis-server";
    private const string Cli = "/usr/bin/redis-cli";

    private readonly string folder = Directory.CreateTempSubdirectory("webgen-redis-").FullName;

    public int Port { get; } = ServerProcesses.FreePort();

    /// <summary>The connection string WebGen reads (ConnectionStrings:Redis).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Server))
            throw new InvalidOperationException($"{Server} not found: the cluster tests need Redis (apt-get install redis-server).");
        if (ServerProcesses.AsRoot)
            await ServerProcesses.RunAsync("chown", "nobody", folder);
        await StartAsync();
    }

    public async Task StartAsync()
    {
        // Daemonized: redis-server returns once it listens; --save "" and no append-only file: nothing is kept.
        await ServerProcesses.RunAsServerAsync(Server, "--port", $"{Port}", "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no",
            "--daemonize", "yes", "--pidfile", Path.Combine(folder, "redis.pid"), "--logfile", Path.Combine(folder, "redis.log"));
        for (var tries = 0; !await AnswersAsync(); tries++)
        {
            if (tries == 100)
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING within 10 s: {File.ReadAllText(Path.Combine(folder, "redis.log"))}");
            await Task.Delay(100);
        }
    }

    public Task StopAsync() => ServerProcesses.RunAsync(Cli, "-p", $"{Port}", "shutdown", "nosave");

    public async Task DisposeAsync()
    {
        if (await AnswersAsync())
            await StopAsync();
        Directory.Delete(folder, recursive: true);
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            // redis-cli exits 0 on an error reply too: PONG is what a live server answers.
            return (await ServerProcesses.RunAsync(Cli, "-p", $"{Port}", "ping")).Contains("PONG");
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
