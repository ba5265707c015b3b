using System.Net.Http.Json;
using WebGen.Compute.Checkpoints;
using WebGen.Shared;
using WebGen.WebApp.Assignments;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace WebGen.WebApp.Tests;

/// <summary>Copied weights are found across an assignment's submissions; independently trained runs are not.</summary>
public sealed class DuplicateSubmissionTests(ClassModeFactory app) : IClassFixture<ClassModeFactory>
{
    private static object Vae(int seed) => new { model = "vae", iterations = 20, seed, device = "cpu" };

    [Fact]
    public async Task SameWeightsInAnyFormat_AreAnIdenticalPair_AFileOfAnotherStudentsRunIsFlagged_IndependentRunsAreNot()
    {
        using var instructor = await app.AsInstructorAsync();
        using var alice = await app.NewStudentAsync("alice@duplicates.test");
        using var bob = await app.NewStudentAsync("bob@duplicates.test");
        using var carol = await app.NewStudentAsync("carol@duplicates.test");
        using var dave = await app.NewStudentAsync("dave@duplicates.test");
        using var eve = await app.NewStudentAsync("eve@duplicates.test");
        using var frank = await app.NewStudentAsync("frank@duplicates.test");
        var hw = await instructor.CreateAsync(app, new { title = "HW2", dueUtc = DateTime.UtcNow.AddDays(1), parts = new[] { new { model = "vae" } } });
        var vae = hw.Parts[0];

        // Trained first: training pauses while a review is evaluated.
        var carols = await carol.TrainAsync(app, Vae(seed: 1));
        var daves = await dave.TrainAsync(app, Vae(seed: 2));
        var franks = await frank.TrainAsync(app, Vae(seed: 1)); // carol's settings, chosen on his own
        // The same PyTorch weights, once in the zip format and once in the legacy one.
        var zip = await (await alice.UploadAsync(hw, vae, "vae_zip.pt")).SubmittedAsync(app);
        var legacy = await (await bob.UploadAsync(hw, vae, "vae_legacy.pt")).SubmittedAsync(app);
        var fromCarol = await (await carol.SubmitRunAsync(app, hw, vae, carols.Id)).SubmittedAsync(app);
        await (await dave.SubmitRunAsync(app, hw, vae, daves.Id)).SubmittedAsync(app);
        var fromFrank = await (await frank.SubmitRunAsync(app, hw, vae, franks.Id)).SubmittedAsync(app);
        var carolsFile = await carol.Client.GetByteArrayAsync($"/api/runs/{carols.Id}/checkpoint");
        var copied = await (await eve.UploadAsync(hw.Id, vae.Id.ToString(), "mine.pt", carolsFile)).SubmittedAsync(app);

        var pairs = (await instructor.Client.GetFromJsonAsync<DuplicatePair[]>($"/api/assignments/{hw.Id}/duplicates", app.Json))!;
        // Training is deterministic: the same settings give the same weights, which the signed records explain.
        Assert.Equal(
            new[] { (zip.Id, legacy.Id, true, false), (fromCarol.Id, fromFrank.Id, true, true), (fromCarol.Id, copied.Id, true, false), (fromFrank.Id, copied.Id, true, false) }.Order(),
            pairs.Select(p => (p.First, p.Second, p.Identical, p.TrainedHereAlike)).Order());
        var eves = (await instructor.Client.GetFromJsonAsync<SubmissionState>($"/api/submissions/{copied.Id}", app.Json))!;
        Assert.Equal(carol.Email, eves.MatchesRunOf);
        var carolsOwn = (await instructor.Client.GetFromJsonAsync<SubmissionState>($"/api/submissions/{fromCarol.Id}", app.Json))!;
        Assert.Null(carolsOwn.MatchesRunOf);
    }
}

/// <summary>
/// The similarity threshold between copies and independent work, on real runs (a class of its own: its runs train
/// without the evaluations queued by the other tests in the way).
/// </summary>
public sealed class SimilarityThresholdTests(ClassModeFactory app, ITestOutputHelper output) : IClassFixture<ClassModeFactory>
{
    private static readonly double Threshold = new AssignmentOptions().SimilarityThreshold;

    private static object Vae(int seed) => new { model = "vae", iterations = 20, seed, device = "cpu" };

    [Fact]
    public async Task NearIdenticalWeights_ReachTheThreshold_IndependentRunsStayFarBelowIt()
    {
        using var student = await app.NewStudentAsync("frank@duplicates.test");
        var first = await student.TrainAsync(app, Vae(seed: 3));
        var second = await student.TrainAsync(app, Vae(seed: 4));
        using var a = ModelCheckpoint.Load(await student.Client.GetByteArrayAsync($"/api/runs/{first.Id}/checkpoint"), ModelKind.Vae, CPU, "first");
        using var b = ModelCheckpoint.Load(await student.Client.GetByteArrayAsync($"/api/runs/{second.Id}/checkpoint"), ModelKind.Vae, CPU, "second");
        var original = WeightsFingerprint.Of(a.Model);
        var independent = WeightsFingerprint.Of(b.Model);
        using (no_grad())
            foreach (var parameter in a.Model.parameters())
            {
                using var scope = NewDisposeScope();
                parameter.add_(randn_like(parameter) * parameter.abs().mean() * 0.05); // noise of 5% of each tensor's mean size
            }
        var disguised = WeightsFingerprint.Of(a.Model);

        var similarity = Similarities.Cosine([original.Sketch, independent.Sketch, disguised.Sketch]);
        output.WriteLine($"cosine: independent runs {similarity[0, 1]:0.0000}, a copy with 5% noise {similarity[0, 2]:0.0000}; threshold {Threshold}");
        Assert.NotEqual(original.Hash, disguised.Hash);
        Assert.True(similarity[0, 2] >= Threshold, $"a copy with 5% noise: {similarity[0, 2]}");
        Assert.True(similarity[0, 1] < Threshold - 0.1, $"independent runs: {similarity[0, 1]}");
    }
}
