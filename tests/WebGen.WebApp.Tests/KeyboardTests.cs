using Microsoft.Playwright;

namespace WebGen.WebApp.Tests;

/// <summary>
/// The app with the keyboard alone (issue 17): Tab, Shift+Tab, Enter, Space and the arrow keys, never the mouse. Where
/// the keyboard is comes from document.activeElement, as a screen reader would learn it.
/// </summary>
public sealed class KeyboardTests(BrowserHost<WebGenFactory> host) : IClassFixture<BrowserHost<WebGenFactory>>
{
    [Fact]
    public async Task WithTheKeyboardAlone_ARunIsQueuedOpenedAndCancelled()
    {
        var page = await host.NewPageAsync();
        await Phone.OpenLiveAsync(page, "/runs/new?model=vae");
        await TabToAsync(page, "[data-testid=submit]"); // the homework defaults: long enough to be cancelled while it trains
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("step")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var run = new Uri(page.Url).AbsolutePath;

        await TabToAsync(page, "a[href='/runs']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/runs");
        await TabToAsync(page, $"[data-testid=runs] a[href='{run}']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"**{run}");

        await TabToAsync(page, "[data-testid=cancel]");
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.GetByText("cancelled", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
    }

    [Fact]
    public async Task WithTheKeyboardAlone_AStyleSliderMovesAndTheDigitsAreRedrawn()
    {
        using var client = host.App.CreateClient();
        var ssvae = await Phone.TrainAsync(host.App, client, "ssvae", iterations: 10);
        var page = await host.NewPageAsync();
        await Phone.OpenLiveAsync(page, $"/styles?run={ssvae}");
        var digits = page.GetByTestId("digits");
        await Assertions.Expect(digits).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/png;base64,"));
        var before = await digits.GetAttributeAsync("src");

        await TabToAsync(page, "input[type=range]");
        for (var i = 0; i < 10; i++)
            await page.Keyboard.PressAsync("ArrowRight");

        await Assertions.Expect(digits).Not.ToHaveAttributeAsync("src", before!);
    }

    [Theory]
    [InlineData(1280, 900)]
    [InlineData(Phone.Width, Phone.Height)]
    public async Task EveryNavigationLink_IsReachedByTab_AndShowsAnOutlineWhenFocused(int width, int height)
    {
        var page = await host.NewPageAsync(width, height);
        await Phone.OpenLiveAsync(page, "/runs");
        if (width == Phone.Width)
        {
            await TabToAsync(page, "[data-testid=menu]");
            await page.Keyboard.PressAsync("Enter");
        }

        foreach (var href in new[] { "/", "/runs/new", "/runs", "/compare", "/styles", "/queue", "/reviews" })
        {
            await TabToAsync(page, $"a[href='{href}']");
            var outline = await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
            Assert.NotEqual("none", outline);
        }
        await page.Keyboard.PressAsync("Shift+Tab"); // and back again
        Assert.Equal("/queue", await page.EvaluateAsync<string>("() => document.activeElement.getAttribute('href')"));
    }

    [Fact]
    public async Task OnAPhone_EscapeClosesTheMenu()
    {
        var page = await host.NewPageAsync(Phone.Width, Phone.Height);
        await Phone.OpenLiveAsync(page, "/runs");
        await TabToAsync(page, "[data-testid=menu]");
        await page.Keyboard.PressAsync("Enter");
        // The drawer is drawn by the server: tabbing before it is there would reach the page's own links instead.
        await Assertions.Expect(page.Locator("#nav-drawer a[href='/compare']")).ToBeVisibleAsync();
        await TabToAsync(page, "#nav-drawer a[href='/compare']");

        await page.Keyboard.PressAsync("Escape");

        await Assertions.Expect(page.GetByTestId("menu")).ToHaveAttributeAsync("aria-expanded", "false");
        await Assertions.Expect(page.Locator("#nav-drawer a[href='/compare']")).ToHaveCountAsync(0);
    }

    /// <summary>Presses Tab until the focused element is (inside) one matching the selector.</summary>
    private static async Task TabToAsync(IPage page, string selector, int most = 80)
    {
        for (var i = 0; i < most; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.closest(s) !== null", selector))
                return;
        }
        Assert.Fail($"{most} presses of Tab never reached {selector}");
    }
}
