using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;

namespace WebGen.WebApp.Tests;

/// <summary>Submission reviews through the API: PyTorch checkpoints uploaded, evaluated, graded and exported.</summary>
public sealed class ReviewsTests(WebGenFactory factory) : IClassFixture<WebGenFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    /// <summary>A checkpoint written by PyTorch 1.13 (tests/WebGen.Tests/Fixtures/pytorch/make_fixtures.py).</summary>
    public static string Fixture(string name) =>
        Path.Combine(WebGenFactory.RepositoryRoot(), "tests", "WebGen.Tests", "Fixtures", "pytorch", name);

    /// <summary>What PyTorch computed with the protocol for a fixture's weights.</summary>
    public static JsonElement Protocol(string model) =>
        JsonDocument.Parse(File.ReadAllText(Fixture($"{model}.json"))).RootElement.GetProperty("protocol");

    public static MultipartFormDataContent Form(string fixture, string student, string model, string? gw = null)
    {
        var file = new ByteArrayContent(File.ReadAllBytes(Fixture(fixture)));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var form = new MultipartFormDataContent { { file, "file", fixture }, { new StringContent(student), "student" }, { new StringContent(model), "model" } };
        if (gw is not null)
            form.Add(new StringContent(gw), "gw");
        return form;
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;

    /// <summary>Reads the review through the API every 100 ms until <paramref name="done"/> (by default: finished).</summary>
    public static async Task<ReviewState> WaitForAsync(HttpClient client, Guid id, Func<ReviewState, bool>? done = null)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            var review = (await client.GetFromJsonAsync<ReviewState>($"/api/reviews/{id}", WebGenJson.Options, timeout.Token))!;
            if ((done ?? (r => r.IsFinished))(review)) return review;
            await Task.Delay(100, timeout.Token);
        }
    }

    [Fact]
    public async Task PyTorchSsvae_IsEvaluatedLikePyTorchGradedAndExported()
    {
        using var client = factory.CreateClient();
        var response = await client.PostAsync("/api/reviews", Form("ssvae_legacy.pt", "Ada, \"the\" Lovelace", "ssvae", gw: "0"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var queued = (await response.Content.ReadFromJsonAsync<ReviewState>(factory.Json))!;
        Assert.Equal(("PyTorch (legacy)", 64, 0d), (queued.Format, queued.ZDim, queued.SsvaeGenWeight));

        var review = await WaitForAsync(client, queued.Id);
        Assert.Equal(ReviewStatus.Done, review.Status);
        var pytorch = Protocol("ssvae").GetProperty("accuracy").GetDouble();
        Assert.Equal(pytorch, review.Metrics!.Accuracy!.Value, 1e-6); // PyTorch's own test accuracy for these weights
        Assert.Equal((review.Metrics.Accuracy.Value, false), review.Grade); // an untrained classifier is far from 0.735 ± 0.025
        var grid = await client.GetAsync($"/api/reviews/{review.Id}/grid.png");
        Assert.Equal("image/png", grid.Content.Headers.ContentType?.MediaType);

        var commented = await client.PutAsJsonAsync($"/api/reviews/{review.Id}/comment", new { comment = "=HYPERLINK(\"x\"), see me" });
        Assert.Equal(HttpStatusCode.OK, commented.StatusCode);
        var csv = (await client.GetStringAsync("/api/reviews.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("student,model,ssvae_gw,file,format,z_dim,k,status,graded_metric,value,band,pass,", csv[0]);
        var row = Assert.Single(csv, line => line.Contains("Lovelace"));
        Assert.StartsWith("\"Ada, \"\"the\"\" Lovelace\",ssvae,0,ssvae_legacy.pt,PyTorch (legacy),64,,done,accuracy,", row);
        Assert.Contains($",{review.Metrics.Accuracy.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)},0.735 ± 0.025,fail,", row);
        Assert.Contains("\"'=HYPERLINK(\"\"x\"\"), see me\"", row); // a spreadsheet shows the comment, never runs it
    }

    [Fact]
    public async Task MaliciousCheckpoint_IsRefusedByNameAndTheServerCarriesOn()
    {
        File.Delete("/tmp/webgen-malicious-checkpoint-ran");
        using var client = factory.CreateClient();
        foreach (var fixture in new[] { "malicious_zip.pt", "malicious_legacy.pt" })
        {
            var response = await client.PostAsync("/api/reviews", Form(fixture, "Mallory", "vae"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("asks for the Python global posix.system, which a state dict never needs", await DetailAsync(response));
        }
        Assert.False(File.Exists("/tmp/webgen-malicious-checkpoint-ran"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        var reviews = await client.GetFromJsonAsync<ReviewState[]>("/api/reviews", factory.Json);
        Assert.DoesNotContain(reviews!, r => r.Student == "Mallory");
    }

    [Theory]
    [InlineData("vae_wrong_shape.pt", "vae", "Eve", null, "vae_wrong_shape.pt does not fit a VAE z=10: enc.net.0.weight: file has 300×794, VAE z=10 needs 300×784; missing dec.net.4.bias (784); unexpected cls.net.0.weight (300×784).")]
    [InlineData("vae_zip.pt", "gmvae", "Eve", null, "vae_zip.pt does not fit a GMVAE z=10 k=500: missing z_pre (1×1000×10); missing pi (500)")]
    [InlineData("vae_zip.pt", "fsvae", "Eve", null, "model fsvae: accepted values are vae, gmvae, ssvae.")]
    [InlineData("vae_zip.pt", "gan", "Eve", null, "model 'gan': accepted values are vae, gmvae, ssvae.")]
    [InlineData("ssvae_legacy.pt", "ssvae", "Eve", "2", "gw: say which SSVAE variant is graded: 0 (band 0.735 ± 0.025) or 1 (band 0.935 ± 0.025).")]
    [InlineData("vae_zip.pt", "vae", " ", null, "student: give the student's name (1 to 200 characters).")]
    public async Task BadUploads_AreA400NamingWhatIsWrong(string fixture, string model, string student, string? gw, string message)
    {
        using var client = factory.CreateClient();
        var response = await client.PostAsync("/api/reviews", Form(fixture, student, model, gw));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(message, await DetailAsync(response));
    }

    [Fact]
    public async Task OversizedUpload_IsA413WithTheLimit()
    {
        var folder = Directory.CreateTempSubdirectory("webgen-app-").FullName;
        try
        {
            await using var small = WebGenFactory.On(folder, new() { ["WebGen:MaxUploadBytes"] = "1048576" });
            using var client = small.CreateClient();
            var response = await client.PostAsync("/api/reviews", Form("vae_zip.pt", "Zed", "vae"));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("The upload is larger than the limit of 1.0 MB (WebGen:MaxUploadBytes); a homework checkpoint is 3 to 5 MB.",
                await DetailAsync(response));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
