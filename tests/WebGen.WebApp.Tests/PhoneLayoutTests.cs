using System.Net.Http.Json;
using Microsoft.Playwright;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>Pages at a phone's 390×844 (issue 17): a menu instead of the bar's links, and nothing wider than the screen.</summary>
public sealed class PhoneLayoutTests(BrowserHost<WebGenFactory> host) : IClassFixture<BrowserHost<WebGenFactory>>
{
    private static readonly string[] Links = ["Problems", "New run", "Runs", "Compare", "Styles", "Queue", "Reviews"];

    [Fact]
    public async Task AtPhoneWidth_NoPageScrollsSideways_FinishedRunsAndTheStyleExplorerIncluded()
    {
        using var client = host.App.CreateClient();
        var vae = await Phone.TrainAsync(host.App, client, "vae", Phone.StepsWithCurves);
        var ssvae = await Phone.TrainAsync(host.App, client, "ssvae", iterations: 10);
        var page = await host.NewPageAsync(Phone.Width, Phone.Height);

        var wide = new List<string>();
        foreach (var path in new[] { "/", "/runs/new", "/runs", $"/runs/{ssvae}", "/compare", "/queue", "/reviews" })
            wide.AddRange(await Phone.WidthIfTooWideAsync(page, path));

        await Phone.OpenLiveAsync(page, $"/runs/{vae}");
        await Assertions.Expect(page.GetByTestId("grid")).ToHaveJSPropertyAsync("complete", true);
        await page.GetByTestId("chart-table-toggle").First.ClickAsync(); // the chart's table open too
        await Assertions.Expect(page.GetByTestId("chart-table")).ToBeVisibleAsync();
        wide.AddRange(await Phone.WidthNowAsync(page, $"/runs/{vae} with its data table"));
        await ScreenshotAsync(page, "run-phone.png");

        await Phone.OpenLiveAsync(page, $"/styles?run={ssvae}");
        await Assertions.Expect(page.GetByTestId("digits")).ToHaveJSPropertyAsync("complete", true);
        wide.AddRange(await Phone.WidthNowAsync(page, "/styles"));
        await ScreenshotAsync(page, "styles-phone.png");

        Assert.Empty(wide);
    }

    [Fact]
    public async Task AtPhoneWidth_TheBarHidesItsLinks_AndTheMenuButtonOpensThemAll()
    {
        var page = await host.NewPageAsync(Phone.Width, Phone.Height);
        await Phone.OpenLiveAsync(page, "/");
        await Assertions.Expect(page.GetByTestId("nav-bar")).ToBeHiddenAsync();
        await ScreenshotAsync(page, "home-phone.png");

        await page.GetByTestId("menu").ClickAsync();
        var drawer = page.GetByTestId("nav-drawer");
        foreach (var name in Links)
            await Assertions.Expect(drawer.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToBeVisibleAsync();
        await ScreenshotAsync(page, "home-phone-menu.png", fullPage: false); // the menu covers the screen, not the page

        await drawer.GetByRole(AriaRole.Link, new() { Name = "Queue", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/queue");
        await Assertions.Expect(drawer.GetByRole(AriaRole.Link)).ToHaveCountAsync(0); // a chosen link closes the menu
    }

    [Fact]
    public async Task TheOpenMenuAndTheChartsTable_PassAxeCoresWcagAAndAARules()
    {
        using var client = host.App.CreateClient();
        var vae = await Phone.TrainAsync(host.App, client, "vae", Phone.StepsWithCurves);
        var axe = new AxeScan((width, height) => host.NewPageAsync(width, height));

        await axe.ScanAsync(await host.NewPageAsync(Phone.Width, Phone.Height), "home, menu open", "/", async page =>
        {
            await page.GetByTestId("menu").ClickAsync();
            await Assertions.Expect(page.GetByTestId("nav-drawer").GetByRole(AriaRole.Link).First).ToBeVisibleAsync();
        });
        await axe.AtEachSizeAsync(page => axe.ScanAsync(page, "a finished run, its data table shown", $"/runs/{vae}", async page =>
        {
            await page.GetByTestId("chart-table-toggle").ClickAsync();
            await Assertions.Expect(page.GetByTestId("chart-table")).ToBeVisibleAsync();
        }));

        axe.AssertNoViolations();
    }

    [Fact]
    public async Task AtDesktopWidth_TheBarShowsEveryLink_WithoutAMenuButton()
    {
        var page = await host.NewPageAsync(1280, 900);
        await Phone.OpenLiveAsync(page, "/");
        await Assertions.Expect(page.GetByTestId("menu")).ToBeHiddenAsync();
        foreach (var name in Links)
            await Assertions.Expect(page.GetByTestId("nav-bar").GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToBeVisibleAsync();
    }

    private static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        if (Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), FullPage = fullPage });
    }
}

/// <summary>What the phone-layout and keyboard tests do to a page: train a model for it, open it live, measure it.</summary>
internal static class Phone
{
    public const int Width = 390, Height = 844;

    /// <summary>
    /// A VAE run long enough for its page to draw curves: progress is stored at most every 250 ms, and a shorter run
    /// on a warm CPU may leave a single point, which draws no chart.
    /// </summary>
    public const int StepsWithCurves = 600;

    /// <summary>Queues a run over the API and waits for it to complete; returns its id.</summary>
    public static async Task<Guid> TrainAsync(WebGenFactory app, HttpClient client, string model, int iterations)
    {
        var created = await client.PostAsJsonAsync("/api/runs", new { model, iterations, device = "cpu" }, app.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(app.Json))![0].Id;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        while ((await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json, timeout.Token))!.Status != RunStatus.Completed)
            await Task.Delay(250, timeout.Token);
        return id;
    }

    /// <summary>Opens a page and waits until it is live (its circuit connected and its content drawn).</summary>
    public static async Task OpenLiveAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    /// <summary>The page named with its width when it is wider than the phone, else nothing.</summary>
    public static async Task<IEnumerable<string>> WidthIfTooWideAsync(IPage page, string path)
    {
        await Phone.OpenLiveAsync(page, path);
        return await Phone.WidthNowAsync(page, path);
    }

    /// <summary>
    /// The page named with its width when it, or its app bar (fixed, so it clips what runs off rather than widening
    /// the page), is wider than the phone; else nothing.
    /// </summary>
    public static async Task<IEnumerable<string>> WidthNowAsync(IPage page, string name)
    {
        var widths = await page.EvaluateAsync<int[]>(
            "() => [document.documentElement.scrollWidth, document.querySelector('.mud-appbar .mud-toolbar')?.scrollWidth ?? 0]");
        return new[] { name, $"{name}'s app bar" }.Zip(widths)
            .Where(w => w.Second > Width).Select(w => $"{w.First} is {w.Second} px wide");
    }
}

/// <summary>Class mode at a phone's width: the instructor's pages fit, and signing out is in the menu.</summary>
public sealed class ClassPhoneLayoutTests(BrowserHost<ClassModeFactory> host) : IClassFixture<BrowserHost<ClassModeFactory>>
{
    [Fact]
    public async Task AtPhoneWidth_TheInstructorsPagesFit_AndSignOutIsInTheMenu()
    {
        var page = await host.NewPageAsync(Phone.Width, Phone.Height);
        await page.GotoAsync("/account/login"); // drawn statically: no circuit to wait for
        var wide = new List<string>(await Phone.WidthNowAsync(page, "/account/login"));
        await page.GetByTestId("email").FillAsync(ClassModeFactory.InstructorEmail);
        await page.GetByTestId("password").FillAsync(ClassModeFactory.InstructorPassword);
        await page.GetByTestId("sign-in").ClickAsync();
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);

        foreach (var path in new[] { "/", "/runs/new", "/runs", "/class", "/reviews", "/queue" })
            wide.AddRange(await Phone.WidthIfTooWideAsync(page, path));
        Assert.Empty(wide);

        await page.GetByTestId("menu").ClickAsync();
        var menu = page.GetByTestId("nav-drawer");
        await Assertions.Expect(menu.GetByTestId("user-name")).ToHaveTextAsync($"{ClassModeFactory.InstructorEmail} (instructor)");
        await menu.GetByTestId("sign-out").ClickAsync();
        await page.WaitForURLAsync("**/account/login");
    }
}
