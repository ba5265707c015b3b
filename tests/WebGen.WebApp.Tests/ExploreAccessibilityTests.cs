using System.Net.Http.Json;
using Microsoft.Playwright;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>axe-core's WCAG A and AA rules over every latent explorer, in each state it draws, and its presentation layout.</summary>
public sealed class ExploreAccessibilityTests : IAsyncLifetime
{
    private readonly BrowserHost<WebGenFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

    private async Task<Guid> TrainAsync(object options)
    {
        using var client = host.App.CreateClient();
        var created = await client.PostAsJsonAsync("/api/runs", options, host.App.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(host.App.Json))![0].Id;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while ((await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", host.App.Json, timeout.Token))!.Status != RunStatus.Completed)
            await Task.Delay(250, timeout.Token);
        return id;
    }

    [Fact]
    public async Task EveryExplorerInEveryState_AndThePresentationLayout_PassAxeCoresWcagAAndAARules()
    {
        var vae = await TrainAsync(new { model = "vae", iterations = 10, zDim = 2, device = "cpu" });
        var gmvae = await TrainAsync(new { model = "gmvae", iterations = 10, k = 20, device = "cpu" });
        var ssvae = await TrainAsync(new { model = "ssvae", iterations = 10, device = "cpu" });
        var axe = new AxeScan((width, height) => host.NewPageAsync(width, height));

        await axe.AtEachSizeAsync(async page =>
        {
            await axe.ScanAsync(page, "interpolation", $"/explore?run={vae}", p => Assertions.Expect(p.GetByTestId("strip")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "interpolation, an upload refused", $"/explore?run={vae}", async p =>
            {
                await p.Locator("[data-testid=upload-from] input[type=file]").Last
                    .ChooseAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = "no picture"u8.ToArray() });
                await Assertions.Expect(p.GetByTestId("upload-error")).ToBeVisibleAsync();
            });
            await axe.ScanAsync(page, "interpolation, same z change y", $"/explore?run={ssvae}&a=3&b=2000",
                p => Assertions.Expect(p.GetByTestId("change-y-a")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "traversal", $"/explore?run={vae}&view=traverse&from=5",
                p => Assertions.Expect(p.GetByTestId("traversal")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "traversal of the prior, a digit to pick", $"/explore?run={ssvae}&view=traverse",
                p => Assertions.Expect(p.GetByTestId("digit")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "latent map, a place decoded", $"/explore?run={vae}&view=map&x=0.5&y=-0.5",
                p => Assertions.Expect(p.GetByTestId("decoded")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "latent map, a point picked", $"/explore?run={vae}&view=map&point=17",
                p => Assertions.Expect(p.GetByTestId("picked")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "mixture, a component's samples", $"/explore?run={gmvae}&view=mixture&component=3",
                p => Assertions.Expect(p.GetByTestId("samples")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "a refused address", $"/explore?run={vae}&view=mixture&steps=1000",
                p => Assertions.Expect(p.GetByTestId("query-error")).ToBeVisibleAsync());
            await axe.ScanAsync(page, "presentation layout", $"/explore?run={vae}&view=traverse", async p =>
            {
                await p.GetByTestId("present").ClickAsync();
                await Assertions.Expect(p.GetByTestId("present")).ToHaveAttributeAsync("aria-pressed", "true");
            });
        });

        axe.AssertNoViolations();
    }

    [Fact]
    public async Task TheLatentMap_DecodesAPlaceTypedAtTheKeyboard_AsAClickOnEmptySpaceWould()
    {
        var vae = await TrainAsync(new { model = "vae", iterations = 10, zDim = 2, device = "cpu" });
        var page = await host.NewPageAsync();
        await page.GotoAsync($"/explore?run={vae}&view=map");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);

        await page.Locator("[data-testid=place-x] input, input[data-testid=place-x]").FocusAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("0.25");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("-0.5");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("[?&]x=0.25&y=-0.5(&|$)"));
        await Assertions.Expect(page.GetByTestId("decoded")).ToBeVisibleAsync();
    }
}
