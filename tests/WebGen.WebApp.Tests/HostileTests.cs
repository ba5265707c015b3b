using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Runs;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Tests;

/// <summary>Every log line the app writes, kept for tests to read.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
    }
}

/// <summary>
/// A class-mode app whose requests come from the address a test names in <see cref="AddressHeader"/> (the in-memory
/// server has no remote address of its own), with its log lines captured.
/// </summary>
public class HostileClassFactory : ClassModeFactory
{
    public const string AddressHeader = "X-Test-Remote-Address";

    public CapturedLogs Logs { get; } = new();

    /// <summary>Two free failed sign-ins, so the waits after them double often enough to outlast a slow test machine.</summary>
    public HostileClassFactory() : this(new() { ["WebGen:Security:FreeFailedSignInsPerAccount"] = "2" }) { }

    protected HostileClassFactory(Dictionary<string, string?> settings) : base(settings) { }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<ILoggerProvider>(Logs);
            services.AddTransient<IStartupFilter, TestAddressFilter>();
        });
    }

    /// <summary>A client (cookie jar of its own) whose requests come from <paramref name="address"/>.</summary>
    public (HttpClient Client, CookieContainer Cookies) ClientFrom(string address)
    {
        var cookies = new CookieContainer();
        var client = CreateDefaultClient(new RedirectHandler(), new CookieContainerHandler(cookies));
        client.DefaultRequestHeaders.Add(AddressHeader, address);
        return (client, cookies);
    }

    /// <summary>The login form posted from <paramref name="address"/>: the page it answers and whether it signed in.</summary>
    public async Task<(HttpClient Client, CookieContainer Cookies, string Page, bool SignedIn)> LogInFromAsync(string address, string email, string password)
    {
        var (client, cookies) = ClientFrom(address);
        var page = await SignIn.PostFormAsync(client, AccountsSetup.LoginPath, "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });
        return (client, cookies, page, cookies.GetAllCookies().Any(c => c.Name == ".AspNetCore.Identity.Application"));
    }

    public HubConnection RunsHubFrom(string address, CookieContainer cookies) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(Server.BaseAddress, WebGen.WebApp.Runs.RunsHub.Path), o =>
            {
                o.HttpMessageHandlerFactory = _ => new CookieContainerHandler(cookies) { InnerHandler = Server.CreateHandler() };
                o.Headers[AddressHeader] = address;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .AddJsonProtocol(o => WebGen.Shared.WebGenJson.Configure(o.PayloadSerializerOptions))
            .Build();

    private sealed class TestAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers[AddressHeader] is [{ } address])
                    context.Connection.RemoteIpAddress = IPAddress.Parse(address);
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

/// <summary>The same app with limits small enough for a test to reach.</summary>
public sealed class TightLimitsFactory() : HostileClassFactory(new()
{
    ["WebGen:Security:ApiRequestsPerWindow"] = "5",
    ["WebGen:Security:HubConnectionsPerWindow"] = "3",
    ["WebGen:Security:HubInvocationsPerWindow"] = "5",
    ["WebGen:Security:AccountFormPostsPerWindow"] = "6",
    ["WebGen:Security:FreeFailedSignInsPerAccount"] = "2",
})
{
    /// <summary>A student registered and signed in from an address of its own, so no two tests share a limit.</summary>
    public async Task<(HttpClient Client, CookieContainer Cookies, string Address)> StudentAsync(string name)
    {
        var address = $"10.1.{Interlocked.Increment(ref addresses)}.1";
        var (client, cookies) = ClientFrom(address);
        var email = $"{name}@webgen.test";
        await SignIn.PostFormAsync(client, AccountsSetup.RegisterPath, "register", new() { ["Input.Email"] = email, ["Input.Password"] = StudentPassword });
        if (!cookies.GetAllCookies().Any(c => c.Name == ".AspNetCore.Identity.Application"))
            await SignIn.PostFormAsync(client, AccountsSetup.LoginPath, "login", new() { ["Input.Email"] = email, ["Input.Password"] = StudentPassword });
        return (client, cookies, address);
    }

    private static int addresses;
}

/// <summary>Class mode under attack: the hub, sign-in and registration.</summary>
public sealed class HostileClassTests(HostileClassFactory app) : IClassFixture<HostileClassFactory>
{
    [Fact]
    public async Task ARefusedSubscribe_ReceivesNoUpdateOfAnotherStudentsRun_WhileTheOwnerStillDoes()
    {
        using var alice = await app.NewStudentAsync("leak-alice@webgen.test");
        using var bob = await app.NewStudentAsync("leak-bob@webgen.test");
        var created = await alice.Client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 30_000, device = "cpu" }, app.Json);
        var run = (await created.Content.ReadFromJsonAsync<RunState[]>(app.Json))!.Single();
        await alice.Client.PostAsync($"/api/runs/{run.Id}/cancel", null);

        await using var aliceHub = alice.RunsHub();
        var aliceUpdates = 0;
        aliceHub.On<RunState>(nameof(IRunsClient.RunUpdated), _ => Interlocked.Increment(ref aliceUpdates));
        await aliceHub.StartAsync();
        await aliceHub.InvokeAsync<RunState?>(nameof(IRunsHub.Subscribe), run.Id);
        await using var bobHub = bob.RunsHub();
        var leaked = new ConcurrentQueue<RunState>();
        bobHub.On<RunState>(nameof(IRunsClient.RunUpdated), leaked.Enqueue);
        await bobHub.StartAsync();

        // The run changing all the time, as a training run's progress does: every change goes to the run's group.
        var hub = app.Services.GetRequiredService<IHubContext<RunsHub, IRunsClient>>();
        using var stop = new CancellationTokenSource();
        var changes = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                await hub.Clients.Group(RunsHub.Group(run.Id)).RunUpdated(run);
        });
        for (var i = 0; i < 200; i++)
            await Assert.ThrowsAsync<HubException>(() => bobHub.InvokeAsync<RunState?>(nameof(IRunsHub.Subscribe), run.Id));
        await Task.Delay(500);
        await stop.CancelAsync();
        await changes;

        Assert.True(Volatile.Read(ref aliceUpdates) > 0, "the owner received no update: the run did not change");
        Assert.Empty(leaked);
    }

    [Fact]
    public async Task RefusedHubCalls_AreLoggedWithoutStackTraces_AtMostOnceATenSecondsPerUser()
    {
        using var alice = await app.NewStudentAsync("log-alice@webgen.test");
        using var bob = await app.NewStudentAsync("log-bob@webgen.test");
        var created = await alice.Client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 30_000, device = "cpu" }, app.Json);
        var run = (await created.Content.ReadFromJsonAsync<RunState[]>(app.Json))!.Single();
        await alice.Client.PostAsync($"/api/runs/{run.Id}/cancel", null);
        await using var bobHub = bob.RunsHub();
        await bobHub.StartAsync();

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
            await Assert.ThrowsAsync<HubException>(() => bobHub.InvokeAsync<RunState?>(nameof(IRunsHub.Subscribe), run.Id));
        var seconds = clock.Elapsed.TotalSeconds;

        var aboutTheRun = app.Logs.Entries.Where(e => e.Message.Contains(run.Id.ToString()) || e.Exception?.Message.Contains(run.Id.ToString()) == true).ToList();
        Assert.All(aboutTheRun, e => Assert.Null(e.Exception));
        Assert.InRange(aboutTheRun.Count(e => e.Level >= LogLevel.Warning), 1, 1 + (int)(seconds / 10));
    }

    [Fact]
    public async Task ManyWrongPasswordsFromOneAddress_DoNotLockTheInstructorOutFromAnother()
    {
        for (var i = 0; i < 12; i++)
            Assert.False((await app.LogInFromAsync("203.0.113.7", ClassModeFactory.InstructorEmail, $"guess-{i}")).SignedIn);
        var attacker = await app.LogInFromAsync("203.0.113.7", ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);
        Assert.False(attacker.SignedIn); // the guessing address waits, even with the right password
        Assert.Contains("Too many failed sign-ins from your address", attacker.Page);

        var instructor = await app.LogInFromAsync("198.51.100.20", ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);
        Assert.True(instructor.SignedIn, instructor.Page);
    }

    [Fact]
    public async Task RegisteringAnExistingEmail_AnswersAsANewOneDoes_AndSpendsItsCodeAlike()
    {
        var rules = app.Services.GetRequiredService<ClassRules>();
        var open = rules.Current;
        try
        {
            Assert.Empty(await rules.SaveAsync(open with { Registration = RegistrationMode.Invitation }));
            using var scope = app.Services.CreateScope();
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            var codes = await accounts.CreateInvitationsAsync(2);

            var (existing, _) = app.ClientFrom("192.0.2.1");
            var existingPage = await SignIn.PostFormAsync(existing, AccountsSetup.RegisterPath, "register",
                new() { ["Input.Email"] = ClassModeFactory.InstructorEmail, ["Input.Password"] = ClassModeFactory.StudentPassword, ["Input.Code"] = codes[0] });
            var (fresh, _) = app.ClientFrom("192.0.2.2");
            var freshPage = await SignIn.PostFormAsync(fresh, AccountsSetup.RegisterPath, "register",
                new() { ["Input.Email"] = "fresh-student@webgen.test", ["Input.Password"] = ClassModeFactory.StudentPassword, ["Input.Code"] = codes[1] });
            Assert.Equal(Alerts(freshPage), Alerts(existingPage));

            // Both codes are spent, so a code cannot be used again to probe a second e-mail.
            var invitations = await accounts.InvitationsAsync();
            Assert.All(codes, code => Assert.Contains(invitations, i => i.Code == code && i.UsedUtc is not null));
            var (again, _) = app.ClientFrom("192.0.2.3");
            var againPage = await SignIn.PostFormAsync(again, AccountsSetup.RegisterPath, "register",
                new() { ["Input.Email"] = "another@webgen.test", ["Input.Password"] = ClassModeFactory.StudentPassword, ["Input.Code"] = codes[0] });
            Assert.Contains("is unknown or has been used", Alerts(againPage));
        }
        finally
        {
            await rules.SaveAsync(open);
        }
    }

    /// <summary>The texts of a page's alerts, which is what a person reads after submitting the form.</summary>
    private static string Alerts(string page) =>
        string.Join(" | ", Regex.Matches(page, "mud-alert-message[^>]*>(.*?)</div>", RegexOptions.Singleline).Select(m => Regex.Replace(m.Groups[1].Value, "<[^>]+>", "")));
}

/// <summary>The rate limits: over the configured numbers, 429 with a JSON problem and Retry-After.</summary>
public sealed class RateLimitTests(TightLimitsFactory app) : IClassFixture<TightLimitsFactory>
{
    [Fact]
    public async Task TheApi_Answers429WithRetryAfter_OverTheLimitPerUser()
    {
        var (client, _, _) = await app.StudentAsync("api-limit");
        HttpResponseMessage response;
        var answered = 0;
        do
        {
            response = await client.GetAsync("/api/runs");
            answered++;
        }
        while (response.StatusCode == HttpStatusCode.OK && answered < 20);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(6, answered);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task TheHub_RefusesInvocationsOverTheLimit_WithTheReason()
    {
        var (_, cookies, address) = await app.StudentAsync("hub-calls");
        await using var hub = app.RunsHubFrom(address, cookies);
        await hub.StartAsync();
        for (var i = 0; i < 5; i++)
            Assert.Null(await hub.InvokeAsync<RunState?>(nameof(IRunsHub.Subscribe), Guid.NewGuid()));
        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<RunState?>(nameof(IRunsHub.Subscribe), Guid.NewGuid()));
        Assert.Contains("too many requests", refused.Message);
    }

    [Fact]
    public async Task TheHub_RefusesNewConnectionsOverTheLimit_With429()
    {
        var (_, cookies, address) = await app.StudentAsync("hub-connections");
        var connections = new List<HubConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                connections.Add(app.RunsHubFrom(address, cookies));
                await connections[^1].StartAsync();
            }
            connections.Add(app.RunsHubFrom(address, cookies));
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connections[^1].StartAsync());
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }
        finally
        {
            foreach (var connection in connections)
                await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task TheLoginForm_Answers429OverTheLimitPerAddress()
    {
        var (client, _) = app.ClientFrom("203.0.113.99");
        var form = await client.GetStringAsync(AccountsSetup.LoginPath);
        var token = WebUtility.HtmlDecode(Regex.Match(form, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            var response = await client.PostAsync(AccountsSetup.LoginPath, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login",
                ["__RequestVerificationToken"] = token,
                ["Input.Email"] = "someone@webgen.test",
                ["Input.Password"] = $"guess-{i}",
            }));
            statuses.Add(response.StatusCode);
        }
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 6), HttpStatusCode.TooManyRequests], statuses);
    }
}

/// <summary>Single mode against other web pages and broken requests: every bad request is a 4xx JSON problem.</summary>
public sealed class HostileApiTests(WebGenFactory app) : IClassFixture<WebGenFactory>
{
    private const string QuickRun = """{"model": "vae", "iterations": 20, "device": "cpu"}""";

    private async Task<int> RunCountAsync() => (await app.CreateClient().GetFromJsonAsync<RunState[]>("/api/runs", app.Json))!.Length;

    private static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    private HttpRequestMessage Post(string path, HttpContent content, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        return request;
    }

    [Fact]
    public async Task ACrossOriginTextPlainPost_Is403_AndQueuesNoRun()
    {
        var before = await RunCountAsync();
        var response = await app.CreateClient().SendAsync(Post("/api/runs", new StringContent(QuickRun, Encoding.UTF8, "text/plain"), "http://evil.example"));
        Assert.Contains("http://evil.example", await AssertProblemAsync(response, HttpStatusCode.Forbidden));
        Assert.Equal(before, await RunCountAsync());
    }

    [Fact]
    public async Task ATextPlainPostWithoutOrigin_Is415_AndQueuesNoRun()
    {
        var before = await RunCountAsync();
        var response = await app.CreateClient().PostAsync("/api/runs", new StringContent(QuickRun, Encoding.UTF8, "text/plain"));
        Assert.Contains("application/json", await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType));
        Assert.Equal(before, await RunCountAsync());
    }

    [Fact]
    public async Task ACrossOriginReviewUpload_Is403()
    {
        using var form = new MultipartFormDataContent { { new StringContent("vae"), "model" }, { new StringContent("Ada"), "student" } };
        var response = await app.CreateClient().SendAsync(Post("/api/reviews", form, "http://evil.example"));
        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AReviewUploadFromABrowserPageWithoutTheAntiforgeryToken_Is400()
    {
        using var form = new MultipartFormDataContent { { new StringContent("vae"), "model" }, { new StringContent("Ada"), "student" } };
        var response = await app.CreateClient().SendAsync(Post("/api/reviews", form, "http://localhost"));
        Assert.Contains("antiforgery", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task DuplicateJsonKeys_Are400NamingTheKey()
    {
        var response = await app.CreateClient().PostAsync("/api/runs",
            new StringContent("""{"model": "vae", "iterations": 20, "iterations": 30}""", Encoding.UTF8, "application/json"));
        Assert.Contains("iterations", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A40MegabyteBody_Is413()
    {
        var body = "{\"model\": \"" + new string('x', 40 * 1024 * 1024) + "\"}";
        var response = await app.CreateClient().PostAsync("/api/runs", new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task ABrokenMultipartUpload_Is400()
    {
        var content = new StringContent("--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.pt\"\r\n\r\nnot finished", Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=abc");
        await AssertProblemAsync(await app.CreateClient().PostAsync("/api/reviews", content), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task LogoutWithoutAToken_Is400()
    {
        var response = await app.CreateClient().PostAsync(AccountsSetup.LogoutPath, new FormUrlEncodedContent([]));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task APutWithABadBody_Is400()
    {
        var response = await app.CreateClient().PutAsync($"/api/reviews/{Guid.NewGuid()}/comment",
            new StringContent("{not json", Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ANonGuidIdUnderTheApi_IsAJson404()
    {
        var body = await AssertProblemAsync(await app.CreateClient().GetAsync("/api/runs/not-a-guid"), HttpStatusCode.NotFound);
        Assert.Contains("not-a-guid", body);
    }

    [Fact]
    public async Task ReplicatesThatIsNotANumber_Is400NamingIt()
    {
        var response = await app.CreateClient().PostAsync("/api/runs?replicates=abc", new StringContent(QuickRun, Encoding.UTF8, "application/json"));
        Assert.Contains("replicates", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task AnUnknownField_Is400NamingItAndTheAcceptedFields()
    {
        var before = await RunCountAsync();
        var response = await app.CreateClient().PostAsync("/api/runs",
            new StringContent("""{"model": "vae", "iteration": 5}""", Encoding.UTF8, "application/json"));
        var body = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("iteration", body);
        Assert.Contains("iterations", body);
        Assert.Equal(before, await RunCountAsync());
    }

    [Fact]
    public async Task ALongValue_IsNotEchoedBackWhole()
    {
        // 50,000 characters: within the body limit, so the value itself is answered (a 200 kB one is a 413 now).
        var response = await app.CreateClient().PostAsync("/api/runs",
            new StringContent("{\"model\": \"" + new string('x', 50_000) + "\"}", Encoding.UTF8, "application/json"));
        var body = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.InRange(body.Length, 1, 2_000);
        Assert.Contains("…", body);
    }
}

/// <summary>Uploaded pictures: the size is read from the header and refused before anything is decoded.</summary>
public sealed class PictureLimitTests
{
    [Fact]
    public void APictureOverTheLimit_IsRefusedNamingTheLimit_BeforeItIsDecoded()
    {
        var png = GreyPng(16_000, 16_000);
        Assert.InRange(png.Length, 1, Compute.Images.ImageInput.MaxBytes);
        var before = Process.GetCurrentProcess().PeakWorkingSet64;
        var refused = Assert.Throws<InvalidDataException>(() => Compute.Images.ImageInput.Read(png, 1, 28, 28));
        Assert.Contains("16000 × 16000", refused.Message);
        Assert.Contains("4096", refused.Message);
        // Decoding would need 256 MB (one byte a pixel) to 1 GB (RGBA); other test classes run beside this one, hence the slack.
        Assert.True(Process.GetCurrentProcess().PeakWorkingSet64 - before < 200L * 1024 * 1024, "decoding raised the peak memory by 200 MB or more");
    }

    /// <summary>A valid all-black 8-bit grey PNG: rows of zeros compress about a thousandfold.</summary>
    private static byte[] GreyPng(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type 0 (grey), deflate, filter 0, no interlace
        Chunk(png, "IHDR", header);
        using var pixels = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(pixels, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[width + 1]; // the filter byte, then the pixels
            for (var y = 0; y < height; y++)
                zlib.Write(row);
        }
        Chunk(png, "IDAT", pixels.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    /// <summary>The PNG chunk checksum (CRC-32, polynomial 0xEDB88320).</summary>
    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
