using System.Net.Http.Json;
using System.Text.Json;

namespace WebGen.WebApp.Tests;

public class HostTests(WebGenFactory factory) : IClassFixture<WebGenFactory>
{
    [Fact]
    public async Task Healthz_ReportsHealthyWithItsDatabaseAndDevice()
    {
        using var client = factory.CreateClient();
        var health = await client.GetFromJsonAsync<JsonElement>("/healthz");
        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        Assert.Equal("sqlite", health.GetProperty("checks").GetProperty("database").GetProperty("description").GetString());
        Assert.Contains("slot(s) on cpu", health.GetProperty("checks").GetProperty("device").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Home_ListsTheFourProblems()
    {
        using var client = factory.CreateClient();
        var html = await client.GetStringAsync("/");
        foreach (var problem in new[] { "VAE", "GMVAE", "SSVAE", "FSVAE" })
            Assert.Contains($">{problem}</", html);
    }

    [Fact]
    public async Task UnknownPage_Is404WithAFriendlyPage()
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/no-such-page");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OwnStaticAssets_AreServed()
    {
        using var client = factory.CreateClient();
        Assert.Contains("problem-card", await client.GetStringAsync("/webgen.css"));
    }
}
