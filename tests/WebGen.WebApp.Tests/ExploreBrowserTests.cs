using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The latent explorer in a real browser: clicks redraw on the server, and a copied address redraws the same picture.</summary>
public sealed class ExploreBrowserTests : IAsyncLifetime
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
    public async Task AClickOnTheMapsEmptySpace_DecodesIt_AndTheCopiedAddressDrawsTheSameBytesInAFreshBrowser()
    {
        var id = await TrainAsync(new { model = "vae", iterations = 10, zDim = 2, device = "cpu" });
        var page = await host.NewPageAsync();
        await page.GotoAsync($"/explore?run={id}&view=map");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid=latent-map] circle")).ToHaveCountAsync(10_000);

        // The corner lies in the map's padding, away from every point: empty space.
        await page.GetByTestId("latent-map").ClickAsync(new() { Position = new() { X = 3, Y = 3 } });
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("[?&]x=[^&]+&y="));
        var decoded = page.GetByTestId("decoded");
        await Assertions.Expect(decoded).ToHaveAttributeAsync("src", new Regex("^data:image/png;base64,"));
        var (address, bytes) = (page.Url, await decoded.GetAttributeAsync("src"));

        var fresh = await host.NewPageAsync();
        await fresh.GotoAsync(address);
        await Assertions.Expect(fresh.GetByTestId("decoded")).ToHaveAttributeAsync("src", bytes!);
    }

    [Fact]
    public async Task PickingAnotherImage_RedrawsTheStripOnTheServer_AndPutsItInTheAddress()
    {
        var id = await TrainAsync(new { model = "vae", iterations = 10, device = "cpu" });
        var page = await host.NewPageAsync();
        await page.GotoAsync($"/explore?run={id}&steps=2");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        var strip = page.GetByTestId("strip");
        var before = await strip.GetAttributeAsync("src");

        var pick = page.Locator("[data-testid^=pick-to-]").Nth(9);
        var index = (await pick.GetAttributeAsync("data-testid"))!["pick-to-".Length..];
        await pick.ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"[?&]b={index}(&|$)"));
        await Assertions.Expect(strip).Not.ToHaveAttributeAsync("src", before!);
        await Assertions.Expect(strip).ToHaveJSPropertyAsync("naturalWidth", 2 * 28 * 2);
    }
}
