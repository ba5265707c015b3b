using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SkiaSharp;
using WebGen.WebApp.Data;
using WebGen.WebApp.Gallery;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The training-time gallery's spacing rule: bounded, evenly spread, the first and newest grids kept.</summary>
public sealed class GallerySpacingTests
{
    [Fact]
    public void ATenMillionStepRun_PreviewedEvery500Steps_Keeps100Grids_EvenlySpaced_FirstAndNewestAmongThem()
    {
        var kept = new List<int>();
        for (var step = 500; step <= 10_000_000; step += 500)
        {
            kept.Add(step);
            foreach (var dropped in GallerySpacing.ToDrop(kept, 100))
                kept.Remove(dropped);
        }

        Assert.Equal(100, kept.Count);
        Assert.Equal(500, kept[0]);
        Assert.Equal(10_000_000, kept[^1]);
        var gaps = kept.Zip(kept.Skip(1), (a, b) => b - a).ToList();
        var even = (10_000_000 - 500) / 99.0;
        Assert.True(gaps.Max() <= 2 * even, $"largest gap {gaps.Max():N0} steps, an even spread is {even:N0}");
    }

    [Fact]
    public void Nearest_TakesTheClosestKeptStep_AndTheEarlierOfTwoAsNear()
    {
        Assert.Equal(200, GallerySpacing.Nearest([100, 200, 400], 260));
        Assert.Equal(200, GallerySpacing.Nearest([100, 200, 400], 300));
        Assert.Equal(400, GallerySpacing.Nearest([100, 200, 400], 9_999));
        Assert.Null(GallerySpacing.Nearest([], 300));
    }
}

/// <summary>A run's kept grids on disk: every preview is kept, up to the configured number, in the run's folder.</summary>
public sealed class RunGalleryTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-gallery-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private RunGallery Gallery(int maxKept) => new(
        Options.Create(new WebGenOptions { RunsFolder = folder }), Options.Create(new GalleryOptions { MaxKept = maxKept }), NullLogger<RunGallery>.Instance);

    [Fact]
    public void AGallery_StaysWithinItsBound_OnDisk_KeepingTheFirstAndNewestGrid()
    {
        var gallery = Gallery(maxKept: 8);
        var run = Guid.NewGuid();
        for (var step = 100; step <= 10_000; step += 100)
            gallery.Add(run, step, [(byte)(step / 100)]);

        var files = Directory.GetFiles(Path.Combine(folder, run.ToString("N"), RunGallery.FolderName));
        Assert.Equal(8, files.Length);
        Assert.Equal(8, gallery.Steps(run).Count);
        Assert.Equal([100, 10_000], [gallery.Steps(run)[0], gallery.Steps(run)[^1]]);
        Assert.Equal([100], File.ReadAllBytes(gallery.Newest(run)!));
    }
}

/// <summary>The gallery's API on a real run: each step's grid as stored, the steps, the animation, and hostile requests.</summary>
public sealed class GalleryApiTests(GalleryApiTests.TrainedRun trained) : IClassFixture<GalleryApiTests.TrainedRun>
{
    /// <summary>
    /// A long VAE run previewed every 10 steps, cancelled once it has kept three grids: the gallery is what it made
    /// while training, and a cancelled run skips the final evaluation, which would only slow the suite.
    /// </summary>
    public sealed class TrainedRun : IAsyncLifetime
    {
        public WebGenFactory App { get; } = new PreviewEvery10();
        public Guid Id { get; private set; }
        public int[] Steps { get; private set; } = [];

        public async Task InitializeAsync()
        {
            using var client = App.CreateClient();
            var created = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 30_000, device = "cpu" }, App.Json);
            Id = (await created.Content.ReadFromJsonAsync<RunState[]>(App.Json))![0].Id;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            while ((await client.GetFromJsonAsync<int[]>($"/api/runs/{Id}/previews", App.Json, timeout.Token))!.Length < 3)
                await Task.Delay(100, timeout.Token);
            await client.PostAsync($"/api/runs/{Id}/cancel", null, timeout.Token);
            while (!(await client.GetFromJsonAsync<RunState>($"/api/runs/{Id}", App.Json, timeout.Token))!.IsFinished)
                await Task.Delay(100, timeout.Token);
            Steps = (await client.GetFromJsonAsync<int[]>($"/api/runs/{Id}/previews", App.Json, timeout.Token))!;
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }

    private sealed class PreviewEvery10() : WebGenFactory(new() { ["WebGen:PreviewEvery"] = "10" });

    private string Stored(int step) => trained.App.Services.GetRequiredService<RunGallery>().FileOf(trained.Id, step)!;

    [Fact]
    public async Task EveryPreview_IsKept_AndServedAsStored()
    {
        using var client = trained.App.CreateClient();

        Assert.Equal(Enumerable.Range(1, trained.Steps.Length).Select(i => 10 * i), trained.Steps);
        foreach (var step in trained.Steps)
            Assert.Equal(File.ReadAllBytes(Stored(step)), await client.GetByteArrayAsync($"/api/runs/{trained.Id}/previews/{step}.png"));
    }

    [Fact]
    public async Task TheAnimation_IsAGif_WithOneFramePerKeptGrid()
    {
        using var client = trained.App.CreateClient();
        var response = await client.GetAsync($"/api/runs/{trained.Id}/previews.gif");

        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);
        using var codec = SKCodec.Create(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        Assert.Equal(SKEncodedImageFormat.Gif, codec.EncodedFormat);
        Assert.Equal(trained.Steps.Length, codec.FrameCount);
        Assert.Equal(560, codec.Info.Width);
    }

    [Theory]
    [InlineData("previews/15.png", HttpStatusCode.NotFound, "no preview grid at step 15; it keeps")]
    [InlineData("previews/15.png", HttpStatusCode.NotFound, "grids, at steps 10 to")]
    [InlineData("previews/abc.png", HttpStatusCode.BadRequest, "step abc: accepted values are whole steps")]
    [InlineData("previews/-5.png", HttpStatusCode.BadRequest, "step -5: accepted values are whole steps")]
    [InlineData("previews/99999999999999999999.png", HttpStatusCode.BadRequest, "accepted values are whole steps")]
    public async Task AStepWithoutAGrid_IsAJsonProblemNamingWhatIsKept(string path, HttpStatusCode status, string message)
    {
        using var client = trained.App.CreateClient();
        var response = await client.GetAsync($"/api/runs/{trained.Id}/{path}");

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(message, (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail);
    }

    [Theory]
    [InlineData("previews")]
    [InlineData("previews/10.png")]
    [InlineData("previews.gif")]
    public async Task AnUnknownRun_IsNotFound(string path)
    {
        using var client = trained.App.CreateClient();
        var unknown = Guid.NewGuid();
        var response = await client.GetAsync($"/api/runs/{unknown}/{path}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains($"There is no run {unknown}", (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail);
    }
}
