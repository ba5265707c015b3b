using SkiaSharp;
using WebGen.Compute;
using WebGen.Compute.Data;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// Each run draws from its own stream: what a seed trains never depends on what trains or evaluates beside it.
/// These tests start runs and evaluations on several threads at once, so they run alone.
/// </summary>
[Collection(nameof(SeededDraws))]
public sealed class RandomStreamTests : IDisposable
{
    private readonly string runs = Directory.CreateTempSubdirectory("webgen-stream-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    private static TrainingData SmallData() =>
        new(TestData.Train.Images.narrow(0, 0, 2000), TestData.Train.OneHotLabels().narrow(0, 0, 2000));

    /// <summary>Every progress report's losses and the final weights of a 150-step VAE run of <paramref name="seed"/>.</summary>
    private (double[] Losses, float[] Weights) Train(string name, int seed, TrainingData data, Action<TrainingProgress>? progress = null)
    {
        var options = new TrainingOptions { Iterations = 150, CheckpointEvery = 1000, Seed = seed, Device = "cpu" };
        var (model, stream) = RandomStream.Initialise(options.Seed, () => ModelFactory.Create(options));
        using (model)
        using (stream)
        {
            var losses = new List<double>();
            Trainer.Train(model, data, options, Path.Combine(runs, name), new SynchronousProgress(p =>
            {
                losses.AddRange([p.Loss, p.Kl, p.Rec]);
                progress?.Invoke(p);
            }), stream: stream);
            using var weights = cat(model.parameters().Select(p => p.flatten()).ToList(), 0);
            return ([.. losses], weights.data<float>().ToArray());
        }
    }

    [Fact]
    public async Task ARunTrainedBesideTwoOthers_GivesTheLossesAndWeightsItGivesAlone()
    {
        var data = SmallData();
        var alone = Train("alone", seed: 3, data);

        var together = await Task.WhenAll(
            Task.Run(() => Train("beside", seed: 3, data)),
            Task.Run(() => Train("other-4", seed: 4, data)),
            Task.Run(() => Train("other-5", seed: 5, data)));

        Assert.Equal(alone.Losses, together[0].Losses);
        Assert.Equal(alone.Weights, together[0].Weights);
    }

    [Fact]
    public async Task AnEvaluationDuringTraining_GivesItsOwnNumbers_AndLeavesTheTrainingStreamAlone()
    {
        var data = SmallData();
        using var subset = TestData.Test.SelectByLabel(Subsets.TestIdx);
        manual_seed(11);
        using var judged = new Vae();
        var alone = Evaluator.EvaluateLowerBound(judged, subset);
        var trainedAlone = Train("alone", seed: 3, data);

        // The same training with two evaluations on another thread from step 50 on, as a review does on the server.
        using var started = new SemaphoreSlim(0);
        var evaluating = Task.Run(async () =>
        {
            await started.WaitAsync();
            return new[] { Evaluator.EvaluateLowerBound(judged, subset), Evaluator.EvaluateLowerBound(judged, subset) };
        });
        var trainedBeside = Train("beside", seed: 3, data, p =>
        {
            if (p.Step == 50) started.Release();
        });
        var evaluations = await evaluating;

        Assert.Equal(trainedAlone.Losses, trainedBeside.Losses);
        Assert.Equal(trainedAlone.Weights, trainedBeside.Weights);
        Assert.All(evaluations, e => Assert.Equal((alone.Nelbo, alone.Iwae[1000]), (e.Nelbo, e.Iwae[1000])));
    }

    [Fact]
    public void DrawPreview_LeavesTheRunsStreamWhereItWas()
    {
        using var model = new Vae();
        using var watched = RandomStream.Seeded(5);
        using var unwatched = RandomStream.Seeded(5);
        byte[] png;
        using (watched.Use())
            png = Trainer.DrawPreview(model, step: 50);

        using var expected = unwatched.Permutation(100, CPU);
        using var actual = watched.Permutation(100, CPU);
        Assert.Equal(expected.data<long>().ToArray(), actual.data<long>().ToArray());
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((560, 280), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void ASeededStream_DrawsWhatTheDefaultGeneratorDrawsAfterTheSameSeed()
    {
        using var stream = RandomStream.Seeded(7);
        Tensor ours;
        using (stream.Use())
            ours = RandomStream.StandardNormal([3, 5], ScalarType.Float32, CPU);
        manual_seed(7);
        using var theirs = randn(3, 5);
        Assert.Equal(theirs.data<float>().ToArray(), ours.data<float>().ToArray());
        ours.Dispose();
    }

    /// <summary>
    /// Sizes below one vector, across the 624-word blocks and a batch of MNIST; generators fresh from a seed (a
    /// twist before the first word), part way through a block, and holding a cached normal sample.
    /// </summary>
    [Theory]
    [InlineData(1, 0)]
    [InlineData(7, 0)]
    [InlineData(623, 0)]
    [InlineData(624, 5)]
    [InlineData(625, 623)]
    [InlineData(1249, 1)]
    [InlineData(78_400, 17)]
    [InlineData(160_000, 331)]
    public void ABernoulliDraw_IsLibtorchsDraw_AndLeavesTheGeneratorWhereLibtorchLeavesIt(int size, int drawnBefore)
    {
        using var whole = rand(size + 50);
        using var p = whole.narrow(0, 50, size); // contiguous, not at the start of its storage
        if (size > 3) // the edges: never, always, and a p below the smallest uniform (2⁻²⁴)
            p[TensorIndex.Slice(0, 3)] = tensor(new[] { 0f, 1f, 1e-8f });
        using var theirs = new Generator(11);
        using (rand(drawnBefore, generator: theirs))
        using (randn(3, dtype: ScalarType.Float64, generator: theirs)) // leaves a cached normal sample
        using (var state = theirs.get_state())
        using (var ours = new Generator(11))
        {
            ours.set_state(state);
            Assert.True(MersenneBernoulli.CanDraw(p));
            using var expected = bernoulli(p, theirs);
            using var actual = MersenneBernoulli.Draw(p, ours);
            Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
            using (var theirState = theirs.get_state())
            using (var ourState = ours.get_state())
                Assert.Equal(theirState.data<byte>().ToArray(), ourState.data<byte>().ToArray());
            using var theirNext = randn(5, dtype: ScalarType.Float64, generator: theirs);
            using var ourNext = randn(5, dtype: ScalarType.Float64, generator: ours);
            Assert.Equal(theirNext.data<double>().ToArray(), ourNext.data<double>().ToArray());
        }
    }

    [Theory]
    [InlineData(-0.25f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void ABernoulliProbabilityOutsideZeroToOne_IsRefusedAsLibtorchRefusesIt_WithTheGeneratorUnchanged(float wrong)
    {
        using var p = rand(1000);
        p[777] = tensor(wrong);
        using var generator = new Generator(3);
        using var before = generator.get_state();
        var error = Assert.Throws<ArgumentException>(() => MersenneBernoulli.Draw(p, generator));
        Assert.Equal($"a Bernoulli probability must lie in [0, 1]; one is {wrong}.", error.Message);
        using var after = generator.get_state();
        Assert.Equal(before.data<byte>().ToArray(), after.data<byte>().ToArray());
        Assert.ThrowsAny<Exception>(() => bernoulli(p, generator).Dispose());
    }

    [Fact]
    public void ABernoulliDrawOfAnythingButContiguousFloats_IsLeftToLibtorch_WithTheSameDraws()
    {
        using var p = rand(40, 30).t();
        using var doubles = p.to(ScalarType.Float64);
        Assert.False(MersenneBernoulli.CanDraw(p));
        Assert.False(MersenneBernoulli.CanDraw(doubles));
        using var stream = RandomStream.Seeded(5);
        using var expectedStream = new Generator(5);
        Tensor actual;
        using (stream.Use())
            actual = RandomStream.Bernoulli(p);
        using var expected = bernoulli(p, expectedStream);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
        actual.Dispose();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(625)]
    [InlineData(-4)]
    public void AGeneratorStateWithItsPositionOutOfRange_IsRefusedBeforeLibtorchSeesIt(int left)
    {
        using var stream = RandomStream.Seeded(1);
        var state = stream.State();
        BitConverter.GetBytes(left).CopyTo(state, 8);
        var error = Assert.Throws<ArgumentException>(() => stream.Restore(state));
        Assert.Contains("out of range", error.Message);
    }

    [Fact]
    public void AGeneratorStateOfTheWrongLength_IsRefusedNamingBothLengths()
    {
        using var stream = RandomStream.Seeded(1);
        var error = Assert.Throws<ArgumentException>(() => stream.Restore(new byte[12]));
        Assert.Equal($"a generator state is {RandomStream.StateLength} bytes, not 12.", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100_000)]
    public void IntraOpThreadsOutsideTheMachinesProcessors_AreRefusedNamingTheRange(int threads)
    {
        var before = Devices.IntraOpThreads;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Devices.SetIntraOpThreads(threads));
        Assert.Contains($"from 1 to {Environment.ProcessorCount}", error.Message);
        Assert.Equal(before, Devices.IntraOpThreads);
    }
}
