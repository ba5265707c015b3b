using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The real app on a throw-away database and runs folder, reading the MNIST that <c>./webgen test</c> fetched.</summary>
public class WebGenFactory : WebApplicationFactory<Program>
{
    private readonly string folder;
    private readonly bool ownsFolder;
    private readonly Dictionary<string, string?> settings;

    public WebGenFactory() : this(Directory.CreateTempSubdirectory("webgen-app-").FullName, ownsFolder: true, []) { }

    /// <summary>An app on its own throw-away folder with these settings on top of the test defaults.</summary>
    protected WebGenFactory(Dictionary<string, string?> settings) : this(Directory.CreateTempSubdirectory("webgen-app-").FullName, ownsFolder: true, settings) { }

    private WebGenFactory(string folder, bool ownsFolder, Dictionary<string, string?> settings) =>
        (this.folder, this.ownsFolder, this.settings) = (folder, ownsFolder, settings);

    /// <summary>An app on the database and runs of <paramref name="folder"/>: two in turn act as a restart.</summary>
    public static WebGenFactory On(string folder, Dictionary<string, string?> settings) => new(folder, ownsFolder: false, settings);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Added after appsettings.json, so these win over the app's defaults.
        var configured = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Runs"] = $"Data Source={DatabasePath};Pooling=False",
            ["WebGen:RunsFolder"] = Path.Combine(folder, "runs"),
            ["WebGen:DataFolder"] = DataFolder(),
            ["WebGen:PreviewEvery"] = "100",
            // Tests poll runs every 20 ms from one address, above the production limit; the limit tests set their own.
            ["WebGen:Security:ApiRequestsPerWindow"] = "100000",
        };
        foreach (var (key, value) in settings)
            configured[key] = value; // a test's own settings win over these
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(configured));
    }

    /// <summary>The SQLite file this app stores its runs in (inside its own folder, never the developer's database).</summary>
    public string DatabasePath => Path.Combine(folder, "runs.db");

    /// <summary>
    /// A SignalR client of the runs hub, talking to the in-memory server; with <paramref name="cookies"/> it sends a
    /// signed-in user's cookie (class mode).
    /// </summary>
    public HubConnection RunsHub(CookieContainer? cookies = null) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(Server.BaseAddress, WebGen.WebApp.Runs.RunsHub.Path), o =>
            {
                o.HttpMessageHandlerFactory = _ => cookies is null
                    ? Server.CreateHandler()
                    : new CookieContainerHandler(cookies) { InnerHandler = Server.CreateHandler() };
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .AddJsonProtocol(o => WebGen.Shared.WebGenJson.Configure(o.PayloadSerializerOptions))
            .Build();

    public System.Text.Json.JsonSerializerOptions Json => WebGen.Shared.WebGenJson.Options;

    /// <summary>An HTTP client with its own cookie jar (a browser of its own), following redirects as a browser does.</summary>
    public (HttpClient Client, CookieContainer Cookies) ClientWithCookies(bool followRedirects = true)
    {
        var cookies = new CookieContainer();
        var handlers = new List<DelegatingHandler>();
        if (followRedirects)
            handlers.Add(new RedirectHandler());
        handlers.Add(new CookieContainerHandler(cookies));
        return (CreateDefaultClient([.. handlers]), cookies);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && ownsFolder && Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }

    public static string DataFolder() =>
        Environment.GetEnvironmentVariable("WEBGEN_DATA") is { Length: > 0 } data ? data : Path.Combine(RepositoryRoot(), "data");

    /// <summary>The checkout the tests run from: the folder of WebGen.sln above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "WebGen.sln"))) return dir.FullName;
        throw new InvalidOperationException("WebGen.sln not found above the test binaries.");
    }
}
