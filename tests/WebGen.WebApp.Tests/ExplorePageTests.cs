using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using WebGen.Compute.Explorers;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The app with two quickly trained runs to explore: a z = 2 VAE and a GMVAE of 20 components.</summary>
public sealed class ExploreFactory : WebGenFactory, IAsyncLifetime
{
    public RunState Vae { get; private set; } = null!;
    public RunState Gmvae { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var client = CreateClient();
        Vae = await TrainAsync(client, new { model = "vae", iterations = 10, zDim = 2, device = "cpu" });
        Gmvae = await TrainAsync(client, new { model = "gmvae", iterations = 10, k = 20, device = "cpu" });
    }

    private async Task<RunState> TrainAsync(HttpClient client, object options)
    {
        var created = await client.PostAsJsonAsync("/api/runs", options, Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(Json))![0].Id;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            var run = (await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", Json, timeout.Token))!;
            if (run.Status == RunStatus.Completed) return run;
            Assert.False(run.IsFinished, $"run {id} ended {run.Status}: {run.Error}");
            await Task.Delay(250, timeout.Token);
        }
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;
}

/// <summary>The latent explorer's page, served by the real app: what each view draws, its URL, and hostile queries.</summary>
public sealed partial class ExplorePageTests(ExploreFactory app) : IClassFixture<ExploreFactory>
{
    private async Task<string> PageAsync(string query)
    {
        using var client = app.CreateClient(); // a fresh visitor each time: nothing carried over but the address
        var response = await client.GetAsync($"/explore?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The src of the image with this data-testid.</summary>
    private static string Picture(string html, string testId) =>
        Regex.Match(html, $"<img[^>]*src=\"(data:image/png;base64,[^\"]+)\"[^>]*data-testid=\"{testId}\"").Groups[1].Value is { Length: > 0 } src
            ? src : throw new Xunit.Sdk.XunitException($"no picture '{testId}' on the page");

    [Fact]
    public async Task TheLatentMap_DrawsEveryTestImageAsOnePoint_OverTheDecodedManifoldOfAZ2Vae()
    {
        var html = await PageAsync($"run={app.Vae.Id}&view=map");

        Assert.Equal(ExplorerLimits.MapImages, CircleTag().Matches(html).Count);
        Assert.Matches("<image href=\"data:image/png;base64,[^\"]+\"[^>]*data-testid=\"manifold\"", html);
        Assert.Contains("z₁ across, z₂ up", html);
    }

    [Fact]
    public async Task APlaceOnTheMap_IsDecoded_AndAPickedPointShowsItsImageAndReconstruction()
    {
        var place = await PageAsync($"run={app.Vae.Id}&view=map&x=0.25&y=-0.5");
        var point = await PageAsync($"run={app.Vae.Id}&view=map&point=17");

        Assert.NotEmpty(Picture(place, "decoded"));
        Assert.NotEmpty(Picture(point, "picked"));
        Assert.NotEmpty(Picture(point, "picked-reconstruction"));
    }

    [Theory]
    [InlineData("view=interpolate&a=3&b=2000&steps=12&path=spherical", "strip")]
    [InlineData("view=traverse&from=5&sweep=7", "traversal")]
    [InlineData("view=map&x=1.5&y=0.5", "decoded")]
    public async Task ACopiedAddress_DrawsTheSamePicture_ForAFreshVisitor(string query, string picture)
    {
        var first = Picture(await PageAsync($"run={app.Vae.Id}&{query}"), picture);
        var second = Picture(await PageAsync($"run={app.Vae.Id}&{query}"), picture);

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task AComponentsSamples_AreTheSameForTheSameSeed_AndOthersForAnother()
    {
        var first = Picture(await PageAsync($"run={app.Gmvae.Id}&view=mixture&component=4&seed=11"), "samples");
        var again = Picture(await PageAsync($"run={app.Gmvae.Id}&view=mixture&component=4&seed=11"), "samples");
        var other = Picture(await PageAsync($"run={app.Gmvae.Id}&view=mixture&component=4&seed=12"), "samples");

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task TheMixture_ShowsComponentsMostClaimingFirst_WhoseClaimsSumToTheTestImages()
    {
        var html = await PageAsync($"run={app.Gmvae.Id}&view=mixture");

        var claims = ClaimsAttribute().Matches(html).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(20, claims.Count);
        Assert.Equal(ExplorerLimits.MapImages, claims.Sum());
        Assert.Equal(claims.OrderDescending(), claims);
    }

    [Theory]
    [InlineData("steps=1000000", "steps '1000000': accepted values are 2 to 24.")]
    [InlineData("steps=ten", "steps 'ten': accepted values are 2 to 24.")]
    [InlineData("view=map&x=NaN&y=0", "x 'NaN': accepted values are numbers from −100 to 100.")]
    [InlineData("view=map&x=1e308&y=0", "x '1e308': accepted values are numbers from −100 to 100.")]
    [InlineData("view=map&x=1", "x and y: a place on the map needs both.")]
    [InlineData("view=teleport", "view 'teleport': accepted values are interpolate, traverse, map, mixture.")]
    [InlineData("path=wiggly", "path 'wiggly': accepted values are linear, spherical.")]
    [InlineData("digit=10", "digit '10': accepted values are 0 to 9.")]
    [InlineData("seed=-1", "seed '-1': accepted values are 0 to 1000000.")]
    [InlineData("a=99999999", "test image 99999999: accepted values are 0 to 9999.")]
    [InlineData("view=traverse&from=-5", "from '-5': accepted values are 0 to 2147483647.")]
    [InlineData("view=mixture", "a VAE has one Gaussian prior, not a mixture: the mixture view takes a GMVAE run.")]
    public async Task AHostileQuery_IsAnsweredWithAMessageNamingWhatIsAccepted_NeverAnError(string query, string message)
    {
        var html = await PageAsync($"run={app.Vae.Id}&{query}");

        Assert.Contains(message, html);
    }

    [Fact]
    public async Task AComponentOutsideTheMixture_IsRefusedNamingTheRange()
    {
        Assert.Contains("component 20: accepted values are 0 to 19.", await PageAsync($"run={app.Gmvae.Id}&view=mixture&component=20"));
    }

    [Fact]
    public async Task ARunIdThatIsNotOne_OrOfNoRun_IsRefusedWithAMessage()
    {
        var unknown = Guid.NewGuid();

        Assert.Contains("run 'not-a-run': accepted values are run ids", await PageAsync("run=not-a-run"));
        Assert.Contains($"There is no run {unknown}.", await PageAsync($"run={unknown}"));
    }

    [Fact]
    public async Task AFloodOfText_InAValue_IsNotEchoedBack()
    {
        var flood = new string('9', 4000);

        var html = await PageAsync($"run={app.Vae.Id}&steps={flood}");

        Assert.Contains($"steps '{new string('9', 40)}…': accepted values are 2 to 24.", html);
        Assert.DoesNotContain(new string('9', 41), html);
    }

    [GeneratedRegex("<circle [^>]*r=\"1.6\"")]
    private static partial Regex CircleTag();

    [GeneratedRegex("data-claims=\"(\\d+)\"")]
    private static partial Regex ClaimsAttribute();
}
