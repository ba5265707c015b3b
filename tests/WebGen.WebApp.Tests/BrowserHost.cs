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

/// <summary>Files chosen in a page, as a person chooses them.</summary>
public static class FileInputs
{
    /// <summary>
    /// Sets the files of a Blazor <c>InputFile</c> once its script has wired the element, a round trip after the render
    /// that shows it. Files set before then fire a change no listener hears, and the upload is lost without a sound:
    /// a person never chooses a file that fast, a test may. The locator is resolved again until the element it finds
    /// is wired and in the page, as a re-render may replace an input before its script ever runs.
    /// </summary>
    public static async Task ChooseAsync(this ILocator input, FilePayload file) => await (await WiredAsync(input)).SetInputFilesAsync(file);

    /// <summary><see cref="ChooseAsync(ILocator, FilePayload)"/> with a file on disk.</summary>
    public static async Task ChooseAsync(this ILocator input, string path) => await (await WiredAsync(input)).SetInputFilesAsync(path);

    private static async Task<IElementHandle> WiredAsync(ILocator input)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var element = await input.ElementHandleAsync();
            if (await element.EvaluateAsync<bool>("e => e.isConnected && e._blazorInputFileNextFileId !== undefined"))
                return element;
            await element.DisposeAsync();
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the file input was not wired by Blazor's InputFile script within 30 s.");
            await Task.Delay(50);
        }
    }
}
