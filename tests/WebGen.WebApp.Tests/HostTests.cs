
namespace WebGen.WebApp.Tests;

public class HostTests(WebGenFactory factory) : IClassFixture<WebGenFactory>
{
    [Fact]
    public async Task Healthz_ReportsHealthy()
    {
        using var client = factory.CreateClient();
        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));
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
