using System.Net.Http.Json;
using Microsoft.Playwright;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The app in a real browser (see <see cref="BrowserHost{TApp}"/>).</summary>
public sealed class BrowserTests : IAsyncLifetime
{
    private readonly BrowserHost<WebGenFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

    [Fact]
    public async Task AQuickRun_StartedFromTheForm_ShowsProgressMovingAndThenTheGrid()
    {
        var page = await host.NewPageAsync();
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
        var (seen, titles) = (new HashSet<string>(), new HashSet<string>());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        while (!await grid.IsVisibleAsync())
        {
            if (await step.IsVisibleAsync())
                seen.Add((await step.TextContentAsync())!.Trim());
            titles.Add(await page.TitleAsync());
            await Task.Delay(100, timeout.Token);
        }
        var moving = seen.Where(s => s != "Step 0 of 600" && s != "Step 600 of 600").ToList();
        Assert.True(moving.Count >= 2, $"steps seen while training: {string.Join(" | ", seen)}");
        await Assertions.Expect(step).ToHaveTextAsync("Step 600 of 600");
        // The tab follows the run too: its percentage while training, then the outcome.
        Assert.Contains(titles, t => System.Text.RegularExpressions.Regex.IsMatch(t, @"^[1-9]\d? % · VAE · seed 0 · WebGen$"));
        await Assertions.Expect(page).ToHaveTitleAsync("VAE · seed 0 (completed) · WebGen");

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
        using var client = host.App.CreateClient();
        var created = await client.PostAsJsonAsync("/api/runs", new { model = "ssvae", iterations = 100, device = "cpu" }, host.App.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(host.App.Json))![0].Id;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8)))
            while ((await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", host.App.Json, timeout.Token))!.Status != RunStatus.Completed)
                await Task.Delay(250, timeout.Token);

        var page = await host.NewPageAsync();
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
}
