using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WebGen.WebApp.Data;
using WebGen.WebApp.Gallery;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>Showing models to a class, in a real browser: the gallery slider, shareable explorer links, lecture mode, notifications.</summary>
public sealed class PresentBrowserTests(BrowserHost<WebGenFactory> host) : IClassFixture<BrowserHost<WebGenFactory>>
{
    private async Task<Guid> TrainAsync(string model, int iterations)
    {
        using var client = host.App.CreateClient();
        var created = await client.PostAsJsonAsync("/api/runs", new { model, iterations, device = "cpu" }, host.App.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(host.App.Json))![0].Id;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        RunState run;
        while ((run = (await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", host.App.Json, timeout.Token))!).Status != RunStatus.Completed)
        {
            Assert.False(run.IsFinished, $"the run ended {run.Status}: {run.Error}");
            await Task.Delay(250, timeout.Token);
        }
        return id;
    }

    private static async Task LiveAsync(IPage page) =>
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), FullPage = true });
    }

    [Fact]
    public async Task TheGallerySlider_ShowsTheStoredGridOfTheChosenStep()
    {
        // A long run, cancelled after its third preview (steps 100, 200, 300): its gallery is what it made while training.
        using var client = host.App.CreateClient();
        var created = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 30_000, device = "cpu" }, host.App.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(host.App.Json))![0].Id;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8)))
        {
            while ((await client.GetFromJsonAsync<int[]>($"/api/runs/{id}/previews", host.App.Json, timeout.Token))!.Length < 3)
                await Task.Delay(100, timeout.Token);
            await client.PostAsync($"/api/runs/{id}/cancel", null, timeout.Token);
            while (!(await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", host.App.Json, timeout.Token))!.IsFinished)
                await Task.Delay(100, timeout.Token);
        }
        var last = (await client.GetFromJsonAsync<int[]>($"/api/runs/{id}/previews", host.App.Json))![^1];
        var page = await host.NewPageAsync();
        await page.GotoAsync($"/runs/{id}");
        await LiveAsync(page);
        var grid = page.GetByTestId("gallery-grid");
        await Assertions.Expect(grid).ToHaveAttributeAsync("src", $"/api/runs/{id}/previews/{last}.png");

        await page.Locator("[data-testid=gallery] input[type=range]").FocusAsync();
        await page.Keyboard.PressAsync("Home");

        await Assertions.Expect(grid).ToHaveAttributeAsync("src", $"/api/runs/{id}/previews/100.png");
        await Assertions.Expect(page.GetByTestId("gallery-caption")).ToContainTextAsync("step 100 (1 of");
        var shown = await page.APIRequest.GetAsync((await grid.GetAttributeAsync("src"))!);
        var stored = host.App.Services.GetRequiredService<RunGallery>().FileOf(id, 100)!;
        Assert.Equal(File.ReadAllBytes(stored), await shown.BodyAsync());
        await ScreenshotAsync(page, "gallery.png");
    }

    [Fact]
    public async Task ACopiedStyleExplorerUrl_InAFreshBrowser_DrawsTheSamePicture()
    {
        var id = await TrainAsync("ssvae", 10);
        var page = await host.NewPageAsync();
        await page.GotoAsync($"/styles?run={id}");
        await LiveAsync(page);
        var digits = page.GetByTestId("digits");
        await Assertions.Expect(digits).ToHaveAttributeAsync("src", new Regex("^data:image/png;base64,"));
        var start = await digits.GetAttributeAsync("src");

        await page.GetByTestId("random").ClickAsync();
        await page.WaitForURLAsync(new Regex("[?&]z=[^&]+"));
        var shown = await digits.GetAttributeAsync("src");
        var fresh = await host.NewPageAsync(); // its own browser context: no cookies, no state but the URL
        await fresh.GotoAsync(page.Url);
        await LiveAsync(fresh);

        Assert.NotEqual(start, shown);
        await Assertions.Expect(fresh.GetByTestId("digits")).ToHaveAttributeAsync("src", shown!);
    }

    [Fact]
    public async Task LectureMode_PKeyPresents_TheExplorersKeysAct_EscapeLeaves()
    {
        var id = await TrainAsync("ssvae", 10);
        var page = await host.NewPageAsync();
        await page.GotoAsync($"/styles?run={id}");
        await LiveAsync(page);
        var digits = page.GetByTestId("digits");
        await Assertions.Expect(digits).ToHaveAttributeAsync("src", new Regex("^data:image/png;base64,"));
        var start = await digits.GetAttributeAsync("src");
        // The keys are the browser's own once presentation.js is attached (it then adds its stylesheet).
        await Assertions.Expect(page.Locator("link[href='presentation.css']")).ToHaveCountAsync(1);

        await page.Keyboard.PressAsync("p");
        await Assertions.Expect(page.Locator("html.presenting")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".mud-appbar")).ToBeHiddenAsync();
        await page.Keyboard.PressAsync("r");
        await Assertions.Expect(digits).Not.ToHaveAttributeAsync("src", start!);
        await ScreenshotAsync(page, "lecture-mode.png");
        await page.Keyboard.PressAsync("Escape");

        await Assertions.Expect(page.Locator("html.presenting")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator(".mud-appbar")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AFinishedRun_IsABrowserNotification_AfterPermissionIsAsked()
    {
        var page = await host.NewPageAsync();
        await page.Context.GrantPermissionsAsync(["notifications"]);
        // A spy around the browser's own Notification: counts the permission requests and records what is shown.
        await page.AddInitScriptAsync("""
            window.__asked = 0;
            window.__shown = [];
            const RealNotification = window.Notification;
            window.Notification = class extends RealNotification {
                constructor(title, options) { super(title, (window.__shown.push({ title, body: options?.body }), options)); }
                static get permission() { return RealNotification.permission; }
                static requestPermission() { window.__asked++; return RealNotification.requestPermission(); }
            };
            """);
        await page.GotoAsync("/");
        await LiveAsync(page);
        await page.GetByTestId("notify").ClickAsync();
        await page.WaitForFunctionAsync("() => window.__asked === 1");

        await TrainAsync("ssvae", 10); // owned by the one person of single mode
        await page.WaitForFunctionAsync("() => window.__shown.length > 0", null, new() { Timeout = 60_000 });

        var shown = await page.EvaluateAsync<string[]>("() => window.__shown.map(n => n.title)");
        Assert.Equal(["SSVAE · seed 0 completed"], shown);
    }
}
