using SkiaSharp;
using TorchSharp;
using WebGen.Compute.Data;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// Tests that re-seed the global random stream and expect the same draws again: they run alone, since a test of
/// another class drawing in parallel would move the stream between the seed and the draw.
/// </summary>
[CollectionDefinition(nameof(SeededDraws), DisableParallelization = true)]
public sealed class SeededDraws;

/// <summary>The FSVAE's bound, training and style grid, and the ten-digit redraw it shares with the SSVAE.</summary>
[Collection(nameof(SeededDraws))]
public sealed class FsvaeTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-fsvae-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void NegativeElbo_IsKlPlusTheFixedVarianceGaussianRec_ComputedByHand()
    {
        manual_seed(3);
        using var model = new Fsvae();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(2, 3072);
        var y = nn.functional.one_hot(tensor(new long[] { 3, 7 }), 10).to(ScalarType.Float32);
        manual_seed(11);
        var (nelbo, kl, rec) = model.NegativeElboBound(x, y);

        // The same z by hand: q's mean and variance, then the one ε the bound drew after seeding.
        manual_seed(11);
        var (m, v) = model.enc.Encode(x, y);
        var z = m + v.sqrt() * randn_like(m);
        var mu = model.dec.Decode(z, y);
        double[] Rows(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();
        var (ms, vs, xs, mus) = (Rows(m), Rows(v), Rows(x), Rows(mu));
        double klSum = 0, recSum = 0;
        for (var i = 0; i < ms.Length; i++) // KL(N(m, v) ‖ N(0, 1)) = ½(v + m² − 1 − log v) per dimension
            klSum += 0.5 * (vs[i] + ms[i] * ms[i] - 1 - Math.Log(vs[i]));
        for (var i = 0; i < xs.Length; i++) // −log N(x | μ, 0.1) = ½(log(2π·0.1) + (x − μ)²/0.1) per pixel
            recSum += 0.5 * (Math.Log(2 * Math.PI * 0.1) + (xs[i] - mus[i]) * (xs[i] - mus[i]) / 0.1);

        Assert.Equal(klSum / 2, kl.item<float>(), 3);
        Assert.Equal(recSum / 2, rec.item<float>(), 1); // ~2000 in float32
        Assert.Equal(kl.item<float>() + rec.item<float>(), nelbo.item<float>(), 1);
    }

    [Fact]
    public void Fsvae_SeesColourImagesAsTheyAre()
    {
        using var model = new Fsvae();
        Assert.False(model.BinarisesInputs);
        Assert.Equal((3, 32, 32), model.ImageShape);
        Assert.Equal(10, model.ZDim);
    }

    /// <summary>200 colour images whose digit sets the colour of a bar and its height; bytes, as SVHN's stay.</summary>
    private static TrainingData FixtureLikeData()
    {
        var generator = new Random(5);
        var labels = Enumerable.Range(0, 200).Select(i => (long)(i % 10)).ToArray();
        var pixels = new byte[200 * 3072];
        for (var n = 0; n < 200; n++)
            for (var c = 0; c < 3; c++)
                for (var p = 0; p < 1024; p++)
                {
                    var bar = p / 32 >= 3 * labels[n] && p % 32 is > 8 and < 24;
                    pixels[n * 3072 + c * 1024 + p] = (byte)((bar ? 60 + 60 * c : 20) + generator.Next(30));
                }
        return new TrainingData(tensor(pixels, [200, 3072]), nn.functional.one_hot(tensor(labels), 10).to(ScalarType.Float32));
    }

    [Fact]
    public void ShortTraining_OnFixtureLikeData_LowersTheLoss()
    {
        using var scope = NewDisposeScope();
        var data = FixtureLikeData();
        var options = TrainingOptions.For(ModelKind.Fsvae) with { Iterations = 100, BatchSize = 20, CheckpointEvery = int.MaxValue, Device = "cpu" };
        manual_seed(0);
        using var model = new Fsvae();
        var x = data.Images.to(ScalarType.Float32) / 255;
        double Loss()
        {
            using var noGrad = no_grad();
            manual_seed(1);
            return TestData.Draws(5, () => model.NegativeElboBound(x, data.Labels).nelbo).Average();
        }
        var before = Loss();
        Trainer.Train(model, data, options, Path.Combine(folder, "run"));
        var after = Loss();
        Assert.True(after < before - 1000, $"NELBO {before:F0} before, {after:F0} after 100 steps");
    }

    [Fact]
    public void DrawDigitsPng_ShowsTenDifferentColourDigitsSideBySide_ForOneZ()
    {
        manual_seed(4);
        using var model = new Fsvae();
        float[] z = [.. Enumerable.Range(0, 10).Select(i => i * 0.3f - 1.5f)];
        using (no_grad())
        using (var decoded = model.DecodeDigits(tensor(z).unsqueeze(0)))
        {
            Assert.Equal([10L, 1, 3072], decoded.shape);
            Assert.InRange(decoded.min().item<float>(), 0f, 1f);
            Assert.InRange(decoded.max().item<float>(), 0f, 1f);
        }
        using var strip = SKBitmap.Decode(model.DrawDigitsPng(z, scale: 3));
        Assert.Equal((10 * 32 * 3, 32 * 3), (strip.Width, strip.Height));
        var tile = (int digit) => Enumerable.Range(0, 96 * 96).Select(i => strip.GetPixel(digit * 96 + i % 96, i / 96)).ToList();
        Assert.NotEqual(tile(0), tile(9)); // ten digits, not one image ten times
    }

    [Fact]
    public void DrawDigitsPng_ForTheSsvae_GivesTenGreyDigits()
    {
        manual_seed(4);
        using var model = new Ssvae();
        using var strip = SKBitmap.Decode(model.DrawDigitsPng(new float[64], scale: 1));
        Assert.Equal((10 * 28, 28), (strip.Width, strip.Height));
        Assert.All(Enumerable.Range(0, 280 * 28).Select(i => strip.GetPixel(i % 280, i / 280)), c => Assert.True(c.Red == c.Green && c.Green == c.Blue));
    }

    [Fact]
    public void DrawDigitsPng_WrongLatentLength_SaysWhatTheModelTakes()
    {
        using var model = new Ssvae();
        var error = Assert.Throws<ArgumentException>(() => model.DrawDigitsPng(new float[10]));
        Assert.StartsWith("z has 10 values; this model's latent has 64.", error.Message);
    }

    [Fact]
    public void FindStyle_IsTheMeanOfQGivenTheImageAndDigit()
    {
        manual_seed(8);
        using var model = new Fsvae();
        using var scope = NewDisposeScope();
        var image = rand(3072);
        var style = model.FindStyle(image.data<float>().ToArray(), digit: 4);
        var y = nn.functional.one_hot(tensor(new long[] { 4 }), 10).to(ScalarType.Float32);
        using var noGrad = no_grad();
        var expected = model.enc.Encode(image.unsqueeze(0), y).m[0].data<float>().ToArray();
        Assert.Equal(expected, style);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.FindStyle(new float[3072], digit: 10));
        Assert.Contains("3×32×32 = 3072", Assert.Throws<ArgumentException>(() => model.FindStyle(new float[784], 1)).Message);
    }

    [Fact]
    public void Ssvae_SampleGrid_IsStillRowDigitColumnStyle()
    {
        using var model = new Ssvae();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(2);
        var grid = model.SampleGrid();
        manual_seed(2);
        var z = randn(20, 64);
        var y = nn.functional.one_hot(arange(10).repeat_interleave(20), 10).to(ScalarType.Float32);
        var expected = model.ComputeSigmoidGiven(z.repeat(10, 1), y);
        Assert.Equal([200L, 784L], grid.shape);
        Assert.True(grid.allclose(expected));
    }

    private void WriteSvhnFolder(int count)
    {
        var svhn = Directory.CreateDirectory(DataSet.Svhn.Folder(folder)).FullName;
        var x = Enumerable.Range(0, count * 3072).Select(i => (byte)(i * 7 % 251)).ToArray();
        double[] y = [.. Enumerable.Range(0, count).Select(i => (double)(i % 10 + 1))];
        File.WriteAllBytes(Path.Combine(svhn, Svhn.TrainFile), MatWriter.Svhn(x, y, compress: true));
        File.WriteAllBytes(Path.Combine(svhn, Svhn.TestFile), MatWriter.Svhn(x, y, compress: false));
    }

    [Fact]
    public void TinyRun_WritesTheStyleGridAt640By320_AndTheTestBound()
    {
        WriteSvhnFolder(count: 10);
        var options = TrainingOptions.For(ModelKind.Fsvae) with { Iterations = 5, BatchSize = 10, Device = "cpu" };
        var result = Experiment.TrainAndEvaluate(options, folder, Path.Combine(folder, "runs"));
        using (var grid = SKBitmap.Decode(result.Grid))
            Assert.Equal((20 * 32, 10 * 32), (grid.Width, grid.Height));
        var bound = Assert.IsType<EvaluationResult>(result.Metrics.LowerBound);
        Assert.Equal(bound.Kl + bound.Rec, bound.Nelbo, 2);
        Assert.Empty(bound.Iwae);

        var evaluated = Experiment.EvaluateCheckpoint(result.Checkpoint, ModelKind.Fsvae, folder, "cpu");
        Assert.Equal(bound.Nelbo, evaluated.Metrics.LowerBound!.Nelbo, 3); // seeded: the same numbers from the checkpoint
    }

    [Fact]
    public void Training_WithoutSvhn_NamesTheMissingFilesAndHowToImportThem()
    {
        var options = TrainingOptions.For(ModelKind.Fsvae) with { Iterations = 1, Device = "cpu" };
        var error = Assert.Throws<FileNotFoundException>(() => Experiment.TrainAndEvaluate(options, folder, folder));
        Assert.Contains("neither extra_32x32.mat nor train_32x32.mat", error.Message);
        Assert.Contains("./webgen data svhn --from", error.Message);
    }

    [Theory]
    [InlineData(ModelKind.Fsvae)]
    [InlineData(ModelKind.Ssvae)]
    public void Redraw_IsTimedForLabelConditionedModels(ModelKind kind)
    {
        var timing = Benchmark.Redraw(TrainingOptions.For(kind), CPU, redraws: 20);
        Assert.NotNull(timing);
        Assert.InRange(timing.MedianMs, 0.001, timing.P95Ms);
        Assert.Null(Benchmark.Redraw(TrainingOptions.For(ModelKind.Vae), CPU, redraws: 20));
    }
}
