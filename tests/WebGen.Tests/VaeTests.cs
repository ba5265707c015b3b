using SkiaSharp;
using TorchSharp;
using WebGen.Compute;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Data;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Images;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

public sealed class VaeTests : IDisposable
{
    private readonly string runs = Directory.CreateTempSubdirectory("webgen-vae-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    [Fact]
    public void IwaeWithOneSample_EqualsNelboInExpectation()
    {
        manual_seed(4);
        using var model = new Vae();
        using var x = TestData.BinarisedTestSubset();
        using var noGrad = no_grad();
        var nelbo = TestData.Draws(200, () => model.NegativeElboBound(x).nelbo);
        var iwae1 = TestData.Draws(200, () => model.NegativeIwaeBound(x, 1).niwae);
        var spread = Math.Sqrt(Variance(nelbo) / 200 + Variance(iwae1) / 200);
        Assert.InRange(iwae1.Average() - nelbo.Average(), -4 * spread, 4 * spread);
    }

    [Fact]
    public void IwaeBound_TightensWithMoreSamples()
    {
        manual_seed(5);
        using var model = new Vae();
        using var x = TestData.BinarisedTestSubset();
        using var noGrad = no_grad();
        var bounds = new[] { 1, 10, 250 }.Select(m => model.NegativeIwaeBound(x, m).niwae.item<float>()).ToArray();
        Assert.True(bounds[0] > bounds[1] && bounds[1] > bounds[2], $"NIWAE should fall with m: {string.Join(", ", bounds)}");
    }

    [Fact]
    public void ShortTraining_LowersTheNelboWellBelowItsStart()
    {
        var options = new TrainingOptions { Iterations = 300, Seed = 0, Device = "cpu" };
        manual_seed(options.Seed);
        using var model = new Vae();
        using var subset = TestData.Test.SelectByLabel(Subsets.TestIdx);
        var before = Evaluator.EvaluateLowerBound(model, subset).Nelbo;

        var reports = new List<TrainingProgress>();
        var data = MnistDataSet.TrainingDataFor(options, TestData.Train);
        var checkpoint = Trainer.Train(model, data, options, runs, new SynchronousProgress(reports.Add));
        var after = Evaluator.EvaluateLowerBound(model, subset).Nelbo;

        Assert.InRange(before, 500, 600); // an untrained decoder gives each pixel p ≈ ½: 784·log 2 ≈ 543
        Assert.True(after < 200, $"NELBO after 300 steps is {after:F1} (started at {before:F1})");
        Assert.Equal(300 / Trainer.ReportEvery, reports.Count);
        Assert.Equal(Path.Combine(runs, "model-00300.pt"), checkpoint);
    }

    [Fact]
    public void Checkpoint_RoundTripsWeightsAndHyperparameters()
    {
        var options = new TrainingOptions { ZDim = 4, Seed = 9, Run = 2 };
        using var model = new Vae(zDim: 4);
        var path = Checkpoint.Save(model, options, runs, step: 20000);
        Assert.EndsWith("model-20000.pt", path);

        using var loaded = ModelCheckpoint.Load(path, ModelKind.Vae, CPU);
        Assert.Equal(options, loaded.Options);
        var z = randn(3, 4);
        Assert.True(((Vae)loaded.Model).ComputeSigmoidGiven(z).allclose(model.ComputeSigmoidGiven(z)));
    }

    [Fact]
    public void Resume_ContinuesFromTheNewestCheckpointWithItsWeightsAndAdamState()
    {
        var options = new TrainingOptions { Iterations = 100, CheckpointEvery = 50, Seed = 0, Device = "cpu" };
        var data = MnistDataSet.TrainingDataFor(options, TestData.Train);
        var folder = Path.Combine(runs, "resume");
        manual_seed(0);
        using var interrupted = new Vae();
        Trainer.Train(interrupted, data, options, folder);
        Assert.Equal((Path.Combine(folder, "model-00100.pt"), 100), Checkpoint.Latest(folder));
        Assert.True(File.Exists(Path.Combine(folder, Checkpoint.TrainingStateFileName(100))));

        // A fresh process: new random weights, then resume. No steps are left, so the weights are the saved ones.
        using var restarted = new Vae();
        Trainer.Train(restarted, data, options, folder, resume: true);
        var z = randn(3, 10);
        Assert.True(restarted.ComputeSigmoidGiven(z).allclose(interrupted.ComputeSigmoidGiven(z)));

        var reports = new List<TrainingProgress>();
        Trainer.Train(restarted, data, options with { Iterations = 200 }, folder, new SynchronousProgress(reports.Add), resume: true);
        Assert.Equal([150, 200], reports.Select(r => r.Step));
        Assert.Equal(200, Checkpoint.Latest(folder)!.Value.Step);
    }

    [Fact]
    public void Checkpoint_MissingFileIsAClearError()
    {
        var missing = Path.Combine(runs, "nope.pt");
        var error = Assert.Throws<FileNotFoundException>(() => ModelCheckpoint.Load(missing, ModelKind.Vae, CPU));
        Assert.Equal($"no checkpoint at {missing}.", error.Message);
    }

    [Fact]
    public void SampleGrid_Is20By10DigitsOf28Pixels()
    {
        using var model = new Vae();
        using var noGrad = no_grad();
        var png = SampleGrid.RenderPng(model.SampleSigmoid(200), rows: 10, cols: 20);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((560, 280), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void SampleGrid_PlacesTilesRowMajor()
    {
        var images = zeros(6, 4);
        images[4] = ones(4); // row 1, column 1 of a 2×3 grid of 2×2 tiles
        using var bitmap = SKBitmap.Decode(SampleGrid.RenderPng(images, rows: 2, cols: 3, height: 2, width: 2));
        Assert.Equal(255, bitmap.GetPixel(2, 2).Red);
        Assert.Equal(0, bitmap.GetPixel(0, 0).Red);
        Assert.Equal(0, bitmap.GetPixel(4, 2).Red);
    }

    private static double Variance(double[] values)
    {
        var mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
    }
}

/// <summary>Progress reported on the training thread, at once (<see cref="Progress{T}"/> would post it elsewhere).</summary>
internal sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}

/// <summary>
/// Two protocol evaluations of one model that must agree exactly: alone, since a test of another class drawing from
/// the stream between them (a seed, a model built in test code) moves what the second one draws.
/// </summary>
[Collection(nameof(SeededDraws))]
public sealed class VaeProtocolDrawTests
{
    [Fact]
    public void NelboPerBinarisation_StartsWithTheProtocolsNelbo_AndOtherDrawsOfTheSubsetMoveIt()
    {
        manual_seed(6);
        using var model = new Vae();
        using var subset = TestData.Test.SelectByLabel(Subsets.TestIdx);
        var perSeed = Evaluator.NelboPerBinarisation(model, subset, seeds: 3);
        Assert.Equal(Evaluator.EvaluateLowerBound(model, subset).Nelbo, perSeed[0]);
        Assert.Equal(3, perSeed.Distinct().Count());
    }
}
