using System.Net.Http.Json;
using Microsoft.Playwright;
using TorchSharp;
using WebGen.Shared;

namespace WebGen.WebApp.Tests;

/// <summary>
/// The app in a real browser: Playwright drives Debian's Chromium (installed by <c>./webgen test</c>) against the app
/// served by Kestrel on a free port.
/// </summary>
public sealed class BrowserTests : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly WebGenFactory app = new();
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./webgen test installs Debian's chromium package");
        app.UseKestrel(0);
        app.StartServer();
        playwright = await Playwright.CreateAsync();
        Assertions.SetDefaultExpectTimeout(30_000); // two cores, and training beside the browser
        browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AQuickRun_StartedFromTheForm_ShowsProgressMovingAndThenTheGrid()
    {
        var page = await browser!.NewPageAsync(new() { BaseURL = app.ClientOptions.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 1000 } });
        await page.GotoAsync("/");
        // Links clicked before the page is live are replayed by Blazor when it connects: wait for it, as a person would.
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Link, new() { Name = "New VAE run" }).ClickAsync();
        await page.WaitForURLAsync("**/runs/new?model=vae");

        // The URL changes before the server has rendered the new page into the DOM: wait for the form itself.
        await Assertions.Expect(page.GetByTestId("preset-quick")).ToBeVisibleAsync();
        await page.GetByTestId("preset-quick").ClickAsync();
        var iterations = page.Locator("[data-testid=iterations] input, input[data-testid=iterations]");
        await Assertions.Expect(iterations).ToHaveValueAsync("2000");
        await iterations.FillAsync("600"); // a short run keeps the suite fast; the form takes any valid count
        await Assertions.Expect(iterations).ToHaveValueAsync("600");
        await Assertions.Expect(page.GetByTestId("submit")).ToBeEnabledAsync();
        await page.GetByTestId("submit").ClickAsync();
        // Blazor navigates within the page (no load event): wait for the run page itself.
        await Assertions.Expect(page.GetByTestId("step")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        Assert.Matches("/runs/[0-9a-f-]{36}$", page.Url);

        // The progress bar moves: several step counts are seen while it trains, then the final grid appears.
        var step = page.GetByTestId("step");
        var grid = page.GetByTestId("grid");
        var seen = new HashSet<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        while (!await grid.IsVisibleAsync())
        {
            if (await step.IsVisibleAsync())
                seen.Add((await step.TextContentAsync())!.Trim());
            await Task.Delay(100, timeout.Token);
        }
        var moving = seen.Where(s => s != "Step 0 of 600" && s != "Step 600 of 600").ToList();
        Assert.True(moving.Count >= 2, $"steps seen while training: {string.Join(" | ", seen)}");
        await Assertions.Expect(step).ToHaveTextAsync("Step 600 of 600");

        // The grid is a real image: the browser decoded it to the renderer's 560 × 280 pixels.
        var width = await grid.EvaluateAsync<int>("img => img.complete ? img.naturalWidth : 0");
        Assert.Equal(560, width);
        await Assertions.Expect(page.GetByTestId("iwae")).ToContainTextAsync("1000");
        if (Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "run-page.png"), FullPage = true });
    }

    [Fact]
    public async Task TheStyleSlider_RedrawsTheTenDigitsWhenItMoves()
    {
        // The quick path a lecturer takes: a short SSVAE run, then the explorer.
        using var client = app.CreateClient();
        var created = await client.PostAsJsonAsync("/api/runs", new { model = "ssvae", iterations = 100, device = "cpu" }, app.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(app.Json))![0].Id;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8)))
            while ((await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json, timeout.Token))!.Status != RunStatus.Completed)
                await Task.Delay(250, timeout.Token);

        var page = await browser!.NewPageAsync(new() { BaseURL = app.ClientOptions.BaseAddress.ToString() });
        await page.GotoAsync($"/styles?run={id}");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        var digits = page.GetByTestId("digits");
        await Assertions.Expect(digits).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/png;base64,"));
        var before = await digits.GetAttributeAsync("src");

        var slider = page.Locator("input[type=range]").First;
        await slider.FocusAsync();
        for (var i = 0; i < 20; i++)
            await page.Keyboard.PressAsync("ArrowRight"); // one step of 0.05 each, as a keyboard user drags it
        await Assertions.Expect(digits).Not.ToHaveAttributeAsync("src", before!);
        // The browser decodes it: ten 28-pixel digits, drawn 3× larger.
        await Assertions.Expect(digits).ToHaveJSPropertyAsync("naturalWidth", 10 * 28 * 3);
        if (Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "styles.png"), FullPage = true });
    }

    /// <summary>A 32 × 32 colour picture: a light "1" on a dark blue plate.</summary>
    private static byte[] HouseNumberPng()
    {
        using var picture = torch.zeros(3, 32, 32);
        picture[2] = torch.tensor(0.5f);
        picture[torch.TensorIndex.Colon, torch.TensorIndex.Slice(6, 26), torch.TensorIndex.Slice(14, 18)] = torch.tensor(0.9f);
        return WebGen.Compute.Images.SampleGrid.RenderPng(picture.reshape(1, -1), 1, 1, 32, 32, 3);
    }

    [Fact]
    public async Task AnFsvaeOnSvhnFormatFiles_TrainsAndItsStylesCanBeExplored()
    {
        // SVHN itself cannot be fetched here: the test's data folder holds the MATLAB-format fixtures as train and test.
        var folder = Directory.CreateTempSubdirectory("webgen-svhn-app-").FullName;
        var svhn = Directory.CreateDirectory(Path.Combine(folder, "data", "svhn")).FullName;
        var fixtures = Path.Combine(WebGenFactory.RepositoryRoot(), "tests", "WebGen.Tests", "Fixtures", "svhn");
        File.Copy(Path.Combine(fixtures, "compressed.mat"), Path.Combine(svhn, "train_32x32.mat"));
        File.Copy(Path.Combine(fixtures, "plain.mat"), Path.Combine(svhn, "test_32x32.mat"));
        await using var svhnApp = WebGenFactory.On(folder, new() { ["WebGen:DataFolder"] = Path.Combine(folder, "data") });
        svhnApp.UseKestrel(0);
        svhnApp.StartServer();
        try
        {
            using var client = svhnApp.CreateClient();
            var created = await client.PostAsJsonAsync("/api/runs", new { model = "fsvae", iterations = 60, batchSize = 12, device = "cpu" }, svhnApp.Json);
            var id = (await created.Content.ReadFromJsonAsync<RunState[]>(svhnApp.Json))![0].Id;
            var page = await browser!.NewPageAsync(new() { BaseURL = svhnApp.ClientOptions.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 1000 } });
            await page.GotoAsync($"/runs/{id}");
            // The run page ends with the 10 × 20 style grid of 32-pixel colour digits, and the FSVAE's bound.
            var grid = page.GetByTestId("grid");
            await Assertions.Expect(grid).ToBeVisibleAsync(new() { Timeout = 300_000 });
            await Assertions.Expect(grid).ToHaveJSPropertyAsync("naturalWidth", 20 * 32);
            await Assertions.Expect(page.GetByTestId("bounds")).ToContainTextAsync("NELBO");

            await page.GotoAsync($"/styles?run={id}");
            await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
            var digits = page.GetByTestId("digits");
            await Assertions.Expect(digits).ToHaveJSPropertyAsync("naturalWidth", 10 * 32 * 3);
            await Assertions.Expect(page.GetByTestId("axes")).ToHaveTextAsync("All 10 dimensions of z.");
            var atZero = await digits.GetAttributeAsync("src");

            await page.GetByTestId("example3").ClickAsync(); // the style of the fixture's first "3"
            await Assertions.Expect(digits).Not.ToHaveAttributeAsync("src", atZero!);
            var ofExample = await digits.GetAttributeAsync("src");

            await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload
            {
                Name = "house-number.png",
                MimeType = "image/png",
                Buffer = HouseNumberPng(),
            });
            await Assertions.Expect(page.GetByTestId("seen")).ToBeVisibleAsync();
            await Assertions.Expect(digits).Not.ToHaveAttributeAsync("src", ofExample!);
            if (Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } screenshots)
                await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, "styles-fsvae.png"), FullPage = true });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
