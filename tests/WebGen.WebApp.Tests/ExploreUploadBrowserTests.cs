using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SkiaSharp;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The app in a browser with one quickly trained VAE, shared by the upload tests.</summary>
public sealed class UploadBrowser : IAsyncLifetime
{
    public BrowserHost<WebGenFactory> Host { get; } = new();
    public Guid Vae { get; private set; }

    public async Task InitializeAsync()
    {
        await Host.InitializeAsync();
        using var client = Host.App.CreateClient();
        var created = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 10, device = "cpu" }, Host.App.Json);
        Vae = (await created.Content.ReadFromJsonAsync<RunState[]>(Host.App.Json))![0].Id;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while ((await client.GetFromJsonAsync<RunState>($"/api/runs/{Vae}", Host.App.Json, timeout.Token))!.Status != RunStatus.Completed)
            await Task.Delay(250, timeout.Token);
    }

    public Task DisposeAsync() => Host.DisposeAsync();
}

/// <summary>An uploaded picture as an end of the interpolation, in a real browser: what it draws, and hostile files.</summary>
public sealed class ExploreUploadBrowserTests(UploadBrowser browser) : IClassFixture<UploadBrowser>
{
    /// <summary>A white bar of the given slant on black, <paramref name="width"/> × <paramref name="height"/>, as a PNG.</summary>
    private static byte[] Bar(int shift, int width = 28, int height = 28)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Black);
            using var ink = new SKPaint { Color = SKColors.White, StrokeWidth = Math.Max(2, width / 8f) };
            canvas.DrawLine(width / 2f - shift, height * 0.15f, width / 2f + shift, height * 0.85f, ink);
        }
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static FilePayload Png(byte[] bytes, string name = "bar.png") => new() { Name = name, MimeType = "image/png", Buffer = bytes };

    private async Task<IPage> OpenAsync()
    {
        var page = await browser.Host.NewPageAsync();
        await page.GotoAsync($"/explore?run={browser.Vae}&steps=4");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        return page;
    }

    // MudFileUpload may render a fresh input after each choice: the newest one takes the next.
    private static ILocator Upload(IPage page, string slot) => page.Locator($"[data-testid=upload-{slot}] input[type=file]").Last;

    [Fact]
    public async Task AnUploadedPicture_BecomesTheToEnd_AndItsCopiedAddressDrawsTheSameStripInAFreshBrowser()
    {
        var page = await OpenAsync();
        var strip = page.GetByTestId("strip");
        var before = await strip.GetAttributeAsync("src");

        await Upload(page, "to").ChooseAsync(Png(Bar(shift: 4)));

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("[?&]pb=0\\.[A-Za-z0-9_-]+"));
        await Assertions.Expect(page.GetByTestId("image-b")).ToHaveAttributeAsync("alt", "your picture, a 0");
        await Assertions.Expect(strip).Not.ToHaveAttributeAsync("src", before!);
        var (address, drawn) = (page.Url, await strip.GetAttributeAsync("src"));
        var fresh = await browser.Host.NewPageAsync();
        await fresh.GotoAsync(address);
        await Assertions.Expect(fresh.GetByTestId("strip")).ToHaveAttributeAsync("src", drawn!);
    }

    public static TheoryData<string, byte[], string> HostileFiles => new()
    {
        { "notes.txt", "not a picture"u8.ToArray(), "notes.txt: the file is not a picture; PNG, JPEG, GIF, BMP and WebP are accepted." },
        { "wide.png", Bar(shift: 0, width: 5000, height: 8), "wide.png: the picture is 5000 × 8 pixels; pictures up to 4096 × 4096 are accepted." },
        { "huge.png", [.. Bar(shift: 0), .. new byte[6 * 1024 * 1024]], "huge.png: the picture is 6.0 MB; pictures up to 5.0 MB are accepted." },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public async Task AFileThatIsNoUsablePicture_IsNamedWithWhatIsAccepted_AndTheEndStaysAsItWas(string name, byte[] file, string message)
    {
        var page = await OpenAsync();
        var address = page.Url;

        await Upload(page, "from").ChooseAsync(new FilePayload { Name = name, MimeType = "application/octet-stream", Buffer = file });

        await Assertions.Expect(page.GetByTestId("upload-error")).ToContainTextAsync(message);
        Assert.Equal(address, page.Url);
    }

    [Fact]
    public async Task AFloodOfUploads_LeavesThePageAnsweringTheNextClick()
    {
        var page = await OpenAsync();
        for (var shift = 0; shift < 20; shift++)
            await Upload(page, "from").ChooseAsync(Png(Bar(shift - 10)));

        var pick = page.Locator("[data-testid^=pick-from-]").Nth(5);
        var index = (await pick.GetAttributeAsync("data-testid"))!["pick-from-".Length..];
        await pick.ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"[?&]a={index}(&|$)"));
        await Assertions.Expect(page.GetByTestId("image-a")).ToHaveAttributeAsync("alt", new Regex($"^test image {index}, a \\d$"));
    }
}
