using System.Net.Http.Json;
using Microsoft.Playwright;
using TorchSharp;
using WebGen.Shared;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>
/// The app with SVHN-format data: SVHN itself cannot be fetched here, so its data folder holds the repository's
/// MATLAB-format fixtures as the train and test splits.
/// </summary>
public sealed class SvhnFixturesFactory : WebGenFactory
{
    public SvhnFixturesFactory() : this(Directory.CreateTempSubdirectory("webgen-svhn-data-").FullName) { }

    private SvhnFixturesFactory(string data) : base(new() { ["WebGen:DataFolder"] = WithFixtures(data) }) => Data = data;

    private string Data { get; }

    private static string WithFixtures(string data)
    {
        var svhn = Directory.CreateDirectory(Path.Combine(data, "svhn")).FullName;
        var fixtures = Path.Combine(RepositoryRoot(), "tests", "WebGen.Tests", "Fixtures", "svhn");
        File.Copy(Path.Combine(fixtures, "compressed.mat"), Path.Combine(svhn, "train_32x32.mat"));
        File.Copy(Path.Combine(fixtures, "plain.mat"), Path.Combine(svhn, "test_32x32.mat"));
        return data;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(Data))
            Directory.Delete(Data, recursive: true);
    }
}

/// <summary>The FSVAE end to end in a real browser, on the SVHN-format fixtures.</summary>
public sealed class SvhnBrowserTests : IAsyncLifetime
{
    private readonly BrowserHost<SvhnFixturesFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

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
        using var client = host.App.CreateClient();
        var created = await client.PostAsJsonAsync("/api/runs", new { model = "fsvae", iterations = 60, batchSize = 12, device = "cpu" }, host.App.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(host.App.Json))![0].Id;
        var page = await host.NewPageAsync();
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

        await page.Locator("input[type=file]").ChooseAsync(new FilePayload
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
}
