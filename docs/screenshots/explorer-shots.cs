#:package Microsoft.Playwright@1.64.1
#:property PublishAot=false
// The README's explorer, gallery and lecture-mode screenshots, taken with Debian's Chromium from a running WebGen
// whose runs were trained for the homework's length: dotnet run docs/screenshots/explorer-shots.cs -- BASE_URL OUT_FOLDER VAE Z2 GMVAE SSVAE
using System.Text.RegularExpressions;
using Microsoft.Playwright;

var (baseUrl, output) = (args[0], args[1]);
var (vae, z2, gmvae, ssvae) = (args[2], args[3], args[4], args[5]);
using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Args = ["--no-sandbox"] });

async Task<IPage> Open(string path, int width = 1280, int height = 900)
{
    var page = await browser.NewPageAsync(new() { BaseURL = baseUrl, ViewportSize = new() { Width = width, Height = height } });
    page.SetDefaultTimeout(120_000);
    Assertions.SetDefaultExpectTimeout(120_000);
    await page.GotoAsync(path);
    await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
    await Assertions.Expect(page.Locator(".mud-progress-circular")).ToHaveCountAsync(0);
    return page;
}

async Task Shot(IPage page, string name, string drawn, bool fullPage = true)
{
    await Assertions.Expect(page.GetByTestId(drawn)).ToBeVisibleAsync();
    await Assertions.Expect(page.GetByTestId("redraw")).ToBeVisibleAsync();
    await Assertions.Expect(page.Locator("[data-testid=error], .mud-alert-filled-error, #blazor-error-ui[style*=block]")).ToHaveCountAsync(0);
    await page.ScreenshotAsync(new() { Path = Path.Combine(output, name), FullPage = fullPage });
    Console.WriteLine($"{name}: {page.Url}");
    await page.CloseAsync();
}

IPage page;
if (args.Length < 7 || args[6] != "gallery")
{
page = await Open($"/explore?run={vae}&a=2200&b=7000&steps=12&path=spherical");
await Shot(page, "explore-interpolation.png", "strip");

page = await Open($"/explore?run={vae}&view=traverse&from=3500");
await Shot(page, "explore-traversal.png", "traversal");

page = await Open($"/explore?run={z2}&view=map&x=0.5&y=-0.5");
await Assertions.Expect(page.Locator("[data-testid=latent-map] circle[r=\"1.6\"]")).ToHaveCountAsync(10_000);
await Shot(page, "explore-map-z2.png", "decoded");

page = await Open($"/explore?run={vae}&view=map&point=6000");
await Assertions.Expect(page.Locator("[data-testid=latent-map] circle[r=\"1.6\"]")).ToHaveCountAsync(10_000);
await Shot(page, "explore-map.png", "picked");

page = await Open($"/explore?run={gmvae}&view=mixture");
var first = page.Locator("[data-claims]").First;
await first.ClickAsync();
await Assertions.Expect(page.GetByTestId("samples")).ToBeVisibleAsync();
await Shot(page, "explore-mixture.png", "samples", fullPage: false);

page = await Open($"/explore?run={ssvae}&a=2200&b=7000&steps=12");
await Shot(page, "explore-change-y.png", "change-y-b");

page = await Open($"/explore?run={ssvae}&a=2200&b=7000&steps=12");
await page.GetByTestId("present").ClickAsync();
await Assertions.Expect(page.GetByTestId("present")).ToHaveAttributeAsync("aria-pressed", "true");
await Shot(page, "lecture-mode-explore.png", "strip", fullPage: false);

page = await Open($"/styles?run={ssvae}");
await page.GetByTestId("present").ClickAsync();
await Assertions.Expect(page.GetByTestId("present")).ToHaveAttributeAsync("aria-pressed", "true");
await page.Keyboard.PressAsync("r");
await Shot(page, "lecture-mode-styles.png", "digits", fullPage: false);
}

page = await Open($"/runs/{vae}");
var slider = page.Locator("[data-testid=gallery] input[type=range]");
await slider.FocusAsync();
await page.Keyboard.PressAsync("Home");
for (var i = 0; i < 3; i++) await page.Keyboard.PressAsync("ArrowRight");
await Assertions.Expect(page.GetByTestId("gallery-caption")).ToContainTextAsync(new Regex("step 2,000 "));
await page.GetByTestId("gallery").ScrollIntoViewIfNeededAsync();
await page.GetByTestId("gallery").ScreenshotAsync(new() { Path = Path.Combine(output, "gallery-long.png") });
Console.WriteLine("gallery-long.png");

page = await Open("/compare");
var boxes = page.GetByTestId("pick").Locator("tbody input[type=checkbox]");
for (var i = 0; i < await boxes.CountAsync(); i++) await boxes.Nth(i).CheckAsync();
var compare = page.Locator("[data-testid=compare-gallery] input[type=range]");
await compare.FocusAsync();
await page.Keyboard.PressAsync("Home");
for (var i = 0; i < 4; i++) await page.Keyboard.PressAsync("ArrowRight");
await page.GetByTestId("compare-gallery").ScrollIntoViewIfNeededAsync();
await page.GetByTestId("compare-gallery").ScreenshotAsync(new() { Path = Path.Combine(output, "gallery-compare.png") });
Console.WriteLine("gallery-compare.png");
