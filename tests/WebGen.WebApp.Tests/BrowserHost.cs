using Microsoft.Playwright;

namespace WebGen.WebApp.Tests;

/// <summary>
/// An app served by Kestrel on a free port and Debian's Chromium (installed by <c>./webgen test</c>) driven by
/// Playwright: what every browser test starts with.
/// </summary>
public sealed class BrowserHost<TApp> : IAsyncLifetime where TApp : WebGenFactory, new()
{
    private const string Chromium = "/usr/bin/chromium";
    private IPlaywright? playwright;
    private IBrowser? browser;

    public TApp App { get; } = new();

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./webgen test installs Debian's chromium package");
        App.UseKestrel(0);
        App.StartServer();
        playwright = await Playwright.CreateAsync();
        Assertions.SetDefaultExpectTimeout(30_000); // two cores, and training beside the browser
        browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Args = ["--no-sandbox"] });
    }

    /// <summary>A page of its own (its own cookies) on the app.</summary>
    public Task<IPage> NewPageAsync(int width = 1280, int height = 1000) =>
        browser!.NewPageAsync(new() { BaseURL = App.ClientOptions.BaseAddress.ToString(), ViewportSize = new() { Width = width, Height = height } });

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
        await App.DisposeAsync();
    }
}
