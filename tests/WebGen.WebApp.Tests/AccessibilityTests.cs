using System.Net.Http.Json;
using Bunit;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MudBlazor;
using MudBlazor.Utilities;
using WebGen.Shared;
using WebGen.WebApp.Components.Layout;
using WebGen.WebApp.Components.Runs;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>
/// axe-core's WCAG 2.0 and 2.1 A and AA rules over a browser's pages, at a desktop's and a phone's size: each reached
/// state is scanned at both, and every violation is collected so one failure lists them all.
/// </summary>
public sealed class AxeScan(Func<int, int, Task<IPage>> newPage)
{
    public static readonly (int Width, int Height)[] Sizes = [(1280, 900), (390, 844)];

    private static readonly AxeRunOptions WcagAA = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    };

    private readonly List<string> violations = [];

    /// <summary>Runs <paramref name="scans"/> once per size, each time on a new page (its own cookies) of that size.</summary>
    public async Task AtEachSizeAsync(Func<IPage, Task> scans)
    {
        foreach (var (width, height) in Sizes)
        {
            var page = await newPage(width, height);
            await scans(page);
            await page.CloseAsync();
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/>, waits until it is live (interactive pages) and loaded, does <paramref name="then"/>
    /// (the state to reach) and scans.
    /// </summary>
    public async Task ScanAsync(IPage page, string state, string path, Func<IPage, Task>? then = null, bool interactive = true)
    {
        await page.GotoAsync(path);
        if (interactive)
            await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".mud-progress-circular")).ToHaveCountAsync(0); // the page's data arrived
        if (then is not null)
            await then(page);
        var result = await page.RunAxe(WcagAA);
        var size = $"{page.ViewportSize!.Width}×{page.ViewportSize.Height}";
        violations.AddRange(result.Violations.Select(v =>
            $"{state} at {size}: {v.Id} ({v.Impact}, {v.Nodes.Length} elements): {string.Join(" | ", v.Nodes.Select(n => n.Target))}"));
    }

    /// <summary>Fails listing every violation found: the rule, its impact and the failing elements' selectors.</summary>
    public void AssertNoViolations() =>
        Assert.True(violations.Count == 0, $"{violations.Count} axe-core violations:\n{string.Join("\n", violations)}");
}

/// <summary>Every page of the single-user app, empty, with runs running, finished, failed and cancelled, and reviews.</summary>
public sealed class AccessibilityTests : IAsyncLifetime
{
    private readonly BrowserHost<WebGenFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

    [Fact]
    public async Task EveryPageInEveryState_PassesAxeCoresWcagAAndAARules_AtDesktopAndPhoneSizes()
    {
        var axe = new AxeScan((width, height) => host.NewPageAsync(width, height));
        await axe.AtEachSizeAsync(async page =>
        {
            await axe.ScanAsync(page, "home", "/");
            await axe.ScanAsync(page, "new run", "/runs/new");
            await axe.ScanAsync(page, "new run, a field in error", "/runs/new", async p =>
            {
                await p.Locator("[data-testid=iterations] input, input[data-testid=iterations]").FillAsync("0");
                await Assertions.Expect(p.GetByTestId("form-errors")).ToBeVisibleAsync();
            });
            await axe.ScanAsync(page, "runs, none yet", "/runs");
            await axe.ScanAsync(page, "compare, no runs", "/compare");
            await axe.ScanAsync(page, "styles, no model", "/styles");
            await axe.ScanAsync(page, "queue, empty", "/queue");
            await axe.ScanAsync(page, "reviews, none yet", "/reviews");
        });

        using var client = host.App.CreateClient();
        var review = await (await client.PostAsync("/api/reviews", ReviewsTests.Form("ssvae_legacy.pt", "Grace Hopper", "ssvae", gw: "0")))
            .Content.ReadFromJsonAsync<ReviewState>(host.App.Json);
        var ssvae = await CreateRunAsync(client, new { model = "ssvae", iterations = 100, device = "cpu" });
        var failed = await StoreFailedRunAsync();
        await WaitForAsync(client, ssvae, s => s.Status == RunStatus.Completed);

        // One run trains and one waits behind it (one run trains at a time): the running page, the list and the queue.
        var running = await CreateRunAsync(client, new { model = "vae", iterations = 1_000_000, device = "cpu" });
        var waiting = await CreateRunAsync(client, new { model = "vae", iterations = 1_000_000, device = "cpu" });
        await WaitForAsync(client, running, s => s.Progress is not null);
        await axe.AtEachSizeAsync(async page =>
        {
            await axe.ScanAsync(page, "run page, training", $"/runs/{running}", p => Assertions.Expect(p.GetByTestId("latest")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "run page, queued", $"/runs/{waiting}");
            await axe.ScanAsync(page, "runs, one training", "/runs");
            await axe.ScanAsync(page, "queue, one waiting", "/queue", p => Assertions.Expect(p.GetByTestId("queue")).ToBeVisibleAsync());
        });
        foreach (var id in new[] { waiting, running })
            (await client.PostAsync($"/api/runs/{id}/cancel", null)).EnsureSuccessStatusCode();
        await WaitForAsync(client, running, s => s.IsFinished);
        await WaitForAsync<ReviewState>($"/api/reviews/{review!.Id}", client, r => r.IsFinished);

        await axe.AtEachSizeAsync(async page =>
        {
            await axe.ScanAsync(page, "run page, completed", $"/runs/{ssvae}", p => Assertions.Expect(p.GetByTestId("grid")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "run page, failed", $"/runs/{failed}", p => Assertions.Expect(p.GetByTestId("error")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "run page, cancelled", $"/runs/{running}");
            await axe.ScanAsync(page, "runs, finished", "/runs");
            await axe.ScanAsync(page, "compare, a run picked", "/compare", async p =>
            {
                await p.GetByTestId("pick").Locator("tbody input[type=checkbox]").First.CheckAsync();
                await Assertions.Expect(p.GetByTestId("side-by-side")).ToBeVisibleAsync();
            });
            await axe.ScanAsync(page, "styles, an SSVAE's sliders", $"/styles?run={ssvae}", p => Assertions.Expect(p.GetByTestId("z0")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "reviews, one graded", "/reviews", p => Assertions.Expect(p.GetByTestId("review-list")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "review", $"/reviews/{review.Id}", p => Assertions.Expect(p.GetByTestId("verdict")).ToBeVisibleAsync());
        });

        axe.AssertNoViolations();
    }

    private async Task<Guid> CreateRunAsync(HttpClient client, object options)
    {
        var created = await client.PostAsJsonAsync("/api/runs", options, host.App.Json);
        return (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RunState[]>(host.App.Json))![0].Id;
    }

    /// <summary>A run that failed as a run whose data was missing does, stored as the worker stores it.</summary>
    private async Task<Guid> StoreFailedRunAsync()
    {
        var id = Guid.NewGuid();
        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<WebGenDb>>().CreateDbContextAsync();
        db.Runs.Add(new RunEntity
        {
            Id = id,
            Group = id,
            Status = RunStatus.Failed,
            Error = "MNIST is missing: data/mnist has no train-images-idx3-ubyte.",
            CreatedUtc = DateTime.UtcNow,
            FinishedUtc = DateTime.UtcNow,
            OptionsJson = JsonColumn.Write(TrainingOptions.For(ModelKind.Vae)),
        });
        await db.SaveChangesAsync();
        return id;
    }

    private Task WaitForAsync(HttpClient client, Guid run, Func<RunState, bool> done) => WaitForAsync($"/api/runs/{run}", client, done);

    private async Task WaitForAsync<TState>(string path, HttpClient client, Func<TState, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        while (!done((await client.GetFromJsonAsync<TState>(path, host.App.Json, timeout.Token))!))
            await Task.Delay(250, timeout.Token);
    }
}

/// <summary>Class mode's pages: the account forms, a signed-in student's pages and the instructor's.</summary>
public sealed class ClassModeAccessibilityTests : IAsyncLifetime
{
    private readonly BrowserHost<ClassModeFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

    [Fact]
    public async Task EveryPage_SignedOutAsAStudentAndAsTheInstructor_PassesAxeCoresWcagAAndAARules_AtDesktopAndPhoneSizes()
    {
        const string student = "ada@webgen.test";
        var axe = new AxeScan((width, height) => host.NewPageAsync(width, height));
        await axe.AtEachSizeAsync(async page =>
        {
            await axe.ScanAsync(page, "login", "/account/login", interactive: false);
            await axe.ScanAsync(page, "register", "/account/register", interactive: false);
            // Registering again answers as the first time did (an e-mail's account is never revealed): one per size.
            await axe.ScanAsync(page, "registered", "/account/register", async p =>
            {
                await p.GetByTestId("email").FillAsync(student);
                await p.GetByTestId("password").FillAsync(ClassModeFactory.StudentPassword);
                await p.GetByTestId("register").ClickAsync();
                await Assertions.Expect(p.GetByTestId("registered")).ToBeVisibleAsync();
            }, interactive: false);
            await axe.ScanAsync(page, "denied", "/account/denied", interactive: false);

            await SignIn.LogInAsync(page, student, ClassModeFactory.StudentPassword);
            await axe.ScanAsync(page, "student: home", "/");
            await axe.ScanAsync(page, "student: new run", "/runs/new");
            await axe.ScanAsync(page, "student: runs", "/runs");
            await axe.ScanAsync(page, "student: queue", "/queue");
            await axe.ScanAsync(page, "student: compare", "/compare");
            await axe.ScanAsync(page, "student: styles", "/styles");
        });
        await axe.AtEachSizeAsync(async page =>
        {
            await SignIn.LogInAsync(page, ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);
            await axe.ScanAsync(page, "instructor: class", "/class", async p =>
            {
                await p.GetByTestId("create-invitations").ClickAsync();
                await Assertions.Expect(p.Locator("[data-testid=invitations] code")).Not.ToHaveCountAsync(0);
            });
            await axe.ScanAsync(page, "instructor: runs", "/runs");
            await axe.ScanAsync(page, "instructor: reviews", "/reviews");
        });

        axe.AssertNoViolations();
    }
}

/// <summary>The theme's own colours, before any page: each text colour on the background it is drawn on.</summary>
public sealed class ThemeContrastTests
{
    [Fact]
    public void TheThemesTextAndBackgroundPairs_HaveAContrastOfAtLeast4Point5To1()
    {
        var palette = MainLayout.Theme.PaletteLight;
        (string Pair, MudColor Text, MudColor Background)[] pairs =
        [
            ("text on background", palette.TextPrimary, palette.Background),
            ("secondary text on background", palette.TextSecondary, palette.Background),
            ("secondary text on surface", palette.TextSecondary, palette.Surface),
            ("app bar text", palette.AppbarText, palette.AppbarBackground),
            ("primary (links, outlined buttons) on background", palette.Primary, palette.Background),
            ("text on primary (filled buttons)", palette.PrimaryContrastText, palette.Primary),
            ("text on info (running)", palette.InfoContrastText, palette.Info),
            ("text on success (completed)", palette.SuccessContrastText, palette.Success),
            ("text on warning (cancelled)", palette.WarningContrastText, palette.Warning),
            ("text on error (failed)", palette.ErrorContrastText, palette.Error),
            ("error (messages, cancel) on background", palette.Error, palette.Background),
        ];

        var low = pairs.Select(p => (p.Pair, Ratio: Contrast(p.Text, p.Background))).Where(p => p.Ratio < 4.5).ToList();

        Assert.True(low.Count == 0, string.Join("; ", low.Select(p => $"{p.Pair}: {p.Ratio:F2}:1")));
    }

    /// <summary>WCAG 2's contrast ratio, a translucent text colour first laid over its background.</summary>
    private static double Contrast(MudColor text, MudColor background)
    {
        double Over(byte t, byte b) => (t * text.APercentage + b * (1 - text.APercentage)) / 255.0;
        double Linear(double c) => c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        double Luminance(double r, double g, double b) => 0.2126 * Linear(r) + 0.7152 * Linear(g) + 0.0722 * Linear(b);
        var fore = Luminance(Over(text.R, background.R), Over(text.G, background.G), Over(text.B, background.B));
        var back = Luminance(background.R / 255.0, background.G / 255.0, background.B / 255.0);
        return (Math.Max(fore, back) + 0.05) / (Math.Min(fore, back) + 0.05);
    }
}

/// <summary>The run's status region: status changes at once, progress at most every ten seconds.</summary>
public sealed class RunAnnouncementTests : MudComponentTests
{
    private readonly ManualClock clock = new();

    [Fact]
    public void ProgressWithinTenSecondsOfTheLastAnnouncement_LeavesTheAnnouncementAsItWas()
    {
        var region = Announce(Training(1200));
        clock.Now += RunAnnouncement.ProgressInterval - TimeSpan.FromSeconds(1);

        region.Render(p => p.Add(a => a.State, Training(1500)));

        Assert.Equal("Training progress, step 1,200 of 3,000.", region.Find("[role=status]").TextContent);
    }

    [Fact]
    public void ProgressTenSecondsAfterTheLastAnnouncement_IsAnnounced()
    {
        var region = Announce(Training(1200));
        clock.Now += RunAnnouncement.ProgressInterval;

        region.Render(p => p.Add(a => a.State, Training(1500)));

        Assert.Equal("Training progress, step 1,500 of 3,000.", region.Find("[role=status]").TextContent);
    }

    [Fact]
    public void AStatusChange_IsAnnouncedAtOnce()
    {
        var region = Announce(Training(2900));
        clock.Now += TimeSpan.FromSeconds(1);

        region.Render(p => p.Add(a => a.State, Training(2950) with { Status = RunStatus.Failed, Error = "Out of memory." }));

        Assert.Equal("Failed: Out of memory.", region.Find("[role=status]").TextContent);
    }

    private IRenderedComponent<RunAnnouncement> Announce(RunState state) =>
        Context.Render<RunAnnouncement>(p => p.Add(a => a.State, state).Add(a => a.Clock, clock));

    private static RunState Training(int step) =>
        new(Guid.NewGuid(), Guid.NewGuid(), TrainingOptions.For(ModelKind.Vae) with { Iterations = 3000 }, RunStatus.Running,
            new TrainingProgress(step, 3000, 120, 20, 100, 50), null, null, DateTime.UtcNow, null);

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
