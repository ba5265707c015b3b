using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using WebGen.Shared;

using WebGen.Tools.Cluster;

namespace WebGen.WebApp.Tests;

/// <summary>
/// A class served by two front ends, as compose.yaml deploys it: two real WebGen processes (A and B, class mode) on one
/// PostgreSQL and one Redis server, each started from Debian's packages for these tests and stopped afterwards.
/// </summary>
public sealed class FrontEnds : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-frontends-").FullName;

    public PostgresServer Postgres { get; } = new();
    public RedisServer Redis { get; } = new();
    public WebGenProcess A { get; private set; } = null!;
    public WebGenProcess B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Postgres.InitializeAsync();
        await Redis.InitializeAsync();
        var settings = new Dictionary<string, string>(ClusterTiming.Settings)
        {
            ["WebGen:Mode"] = "class",
            ["WebGen:Class:InstructorEmail"] = ClassModeFactory.InstructorEmail,
            ["WebGen:Class:InstructorPassword"] = ClassModeFactory.InstructorPassword,
            ["WebGen:Database"] = "postgres",
            ["ConnectionStrings:Runs"] = Postgres.ConnectionString("webgen_frontends"),
            ["ConnectionStrings:Redis"] = Redis.ConnectionString,
            ["WebGen:RunsFolder"] = Path.Combine(folder, "runs"),
            ["WebGen:DataFolder"] = Environment.GetEnvironmentVariable("WEBGEN_DATA") is { Length: > 0 } data ? data : Path.Combine(WebGenFactory.RepositoryRoot(), "data"),
            ["WebGen:Security:ApiRequestsPerWindow"] = "100000",
        };
        // One after the other: the first migrates the database and writes the Data Protection key the second reads.
        A = await WebGenProcess.StartAsync(ClusterFixture.WebAppDll(), null, settings);
        B = await WebGenProcess.StartAsync(ClusterFixture.WebAppDll(), null, settings);
    }

    public async Task DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>The instructor signed in through <paramref name="web"/>'s login form; the cookie lands in <paramref name="cookies"/>.</summary>
    public static async Task<HttpClient> SignInAsync(WebGenProcess web, CookieContainer cookies)
    {
        var client = Client(web, cookies);
        await SignIn.PostFormAsync(client, "/account/login", "login",
            new() { ["Input.Email"] = ClassModeFactory.InstructorEmail, ["Input.Password"] = ClassModeFactory.InstructorPassword });
        Assert.Contains(cookies.GetAllCookies(), c => c.Name == ".AspNetCore.Identity.Application");
        return client;
    }

    /// <summary>An HTTP client of <paramref name="web"/> sending <paramref name="cookies"/> (both front ends are 127.0.0.1: one jar serves both).</summary>
    public static HttpClient Client(WebGenProcess web, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = web.Address };

    /// <summary>A started SignalR connection to <paramref name="web"/>'s runs hub, signed in with <paramref name="cookies"/>.</summary>
    public static async Task<HubConnection> HubAsync(WebGenProcess web, CookieContainer cookies)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(web.Address, WebGen.WebApp.Runs.RunsHub.Path), o => o.Cookies = cookies)
            .AddJsonProtocol(o => WebGenJson.Configure(o.PayloadSerializerOptions))
            .Build();
        await hub.StartAsync();
        return hub;
    }

    /// <summary>Queues a VAE run of <paramref name="iterations"/> steps on the CPU through <paramref name="client"/>'s front end.</summary>
    public static async Task<Guid> QueueRunAsync(HttpClient client, int iterations)
    {
        var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations, device = "cpu" }, WebGenJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<WebGen.WebApp.Runs.RunState[]>(WebGenJson.Options))![0].Id;
    }
}
