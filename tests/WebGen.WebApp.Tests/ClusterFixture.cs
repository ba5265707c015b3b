using System.Net;
using Microsoft.EntityFrameworkCore;
using WebGen.Tools.Cluster;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Tests;

/// <summary>
/// A real cluster on one machine: a PostgreSQL server (<see cref="PostgresServer"/>) and a Redis server, one web
/// process and two worker processes of the built app on them, sharing one runs folder, with the short heartbeat and
/// lease and the checkpoint every 100 steps of <see cref="ClusterTiming"/>. Workers can be killed (-9) and started again. Class mode with open registration: the instructor and
/// students sign in through the web process's forms.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly PostgresServer postgres = new();
    private readonly RedisServer redis = new(); // a split deployment is refused without one
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-cluster-").FullName;
    private int started;

    public WebGenProcess Web { get; private set; } = null!;
    public List<WebGenProcess> Workers { get; } = [];

    public PostgresServer Postgres => postgres;

    private string ConnectionString => postgres.ConnectionString("cluster");

    public static string WebAppDll()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        return Path.Combine(WebGenFactory.RepositoryRoot(), "WebApp", "bin", configuration, "net10.0", "WebGen.WebApp.dll");
    }

    private Dictionary<string, string> Settings => new(ClusterTiming.Settings)
    {
        ["WebGen:Mode"] = "class",
        ["WebGen:Class:InstructorEmail"] = ClassModeFactory.InstructorEmail,
        ["WebGen:Class:InstructorPassword"] = ClassModeFactory.InstructorPassword,
        ["WebGen:Class:Registration"] = "open",
        ["WebGen:Database"] = "postgres",
        ["ConnectionStrings:Runs"] = ConnectionString,
        ["ConnectionStrings:Redis"] = redis.ConnectionString,
        ["WebGen:RunsFolder"] = Path.Combine(folder, "runs"),
        ["WebGen:DataFolder"] = WebGenFactory.DataFolder(),
        ["WebGen:Security:ApiRequestsPerWindow"] = "100000",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:WebGen"] = "Information",
    };

    public async Task InitializeAsync()
    {
        await postgres.InitializeAsync();
        await redis.InitializeAsync();
        Web = await StartAsync("web"); // first, so the schema is made once before the workers come
        Workers.Add(await StartAsync("worker"));
        Workers.Add(await StartAsync("worker"));
    }

    public Task<WebGenProcess> StartAsync(string role) =>
        WebGenProcess.StartAsync(WebAppDll(), role, Settings, Path.Combine(folder, $"{role}-{++started}.log"), CancellationToken.None);

    /// <summary>A client of the web process signed in as the instructor, whose runs no per-student limit holds.</summary>
    public Task<HttpClient> InstructorAsync() => FrontEnds.SignInAsync(Web, new CookieContainer());

    /// <summary>A client of the web process signed in as a new student, registered through the form.</summary>
    public async Task<HttpClient> StudentAsync(string email)
    {
        var cookies = new CookieContainer();
        var client = FrontEnds.Client(Web, cookies);
        var fields = new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = ClassModeFactory.StudentPassword };
        await SignIn.PostFormAsync(client, "/account/register", "register", fields);
        await SignIn.PostFormAsync(client, "/account/login", "login", fields);
        Assert.Contains(cookies.GetAllCookies(), c => c.Name == ".AspNetCore.Identity.Application");
        return client;
    }

    /// <summary>The store, read directly.</summary>
    public WebGenDb Db() => new PostgresWebGenDb(new DbContextOptionsBuilder<PostgresWebGenDb>().UseNpgsql(ConnectionString).Options);

    /// <summary>The worker process whose id the store records as training <paramref name="run"/>, if any.</summary>
    public async Task<WebGenProcess?> WorkerTrainingAsync(Guid run)
    {
        await using var db = Db();
        var worker = await db.Runs.AsNoTracking().Where(r => r.Id == run).Select(r => r.WorkerId).SingleAsync();
        return Workers.FirstOrDefault(w => !w.HasExited && worker is not null && worker.Contains($"-{w.ProcessId}-", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        foreach (var process in Workers.Append(Web))
            await process.DisposeAsync();
        await redis.DisposeAsync();
        await postgres.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
