using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The style explorer's page when a run cannot be opened: Compute's own words, never a command-line flag.</summary>
public sealed class StylesPageTests(WebGenFactory factory) : IClassFixture<WebGenFactory>
{
    [Fact]
    public async Task ABrokenCheckpoint_IsShownNamingTheFile_WithoutACommandLineFlag()
    {
        using var client = factory.CreateClient();
        var created = await client.PostAsJsonAsync("/api/runs", new { model = "ssvae", iterations = 10, device = "cpu" }, factory.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(factory.Json))![0].Id;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
            while ((await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", factory.Json, timeout.Token))!.Status != RunStatus.Completed)
                await Task.Delay(250, timeout.Token);
        var runFolder = factory.Services.GetRequiredService<IOptions<WebGenOptions>>().Value.RunFolder(id);
        var checkpoint = Directory.EnumerateFiles(runFolder, "model-*.pt", SearchOption.AllDirectories).Single();
        File.WriteAllText(checkpoint, "not a checkpoint");

        var html = WebUtility.HtmlDecode(await client.GetStringAsync($"/styles?run={id}"));

        Assert.Contains($"{checkpoint} is not a checkpoint", html);
        Assert.DoesNotContain("--checkpoint", html);
    }
}
