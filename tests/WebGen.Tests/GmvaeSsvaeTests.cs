using TorchSharp;
using WebGen.Compute.Data;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

public sealed class GmvaeSsvaeTests : IDisposable
{
    private readonly string runs = Directory.CreateTempSubdirectory("webgen-models-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    [Fact]
    public void Gmvae_PriorIsInitialisedAsTheReference()
    {
        manual_seed(0);
        using var model = new Gmvae(zDim: 10, k: 500);
        Assert.Equal([1L, 1000L, 10L], model.z_pre.shape);
        Assert.Equal(1 / Math.Sqrt(500 * 10), model.z_pre.std().item<float>(), 3);
    }

    [Fact]
    public void Gmvae_KlEstimateMatchesBruteForceOverComponents()
    {
        manual_seed(6);
        using var model = new Gmvae(zDim: 2, k: 3);
        using var x = TestData.BinarisedTestSubset(4);
        using var noGrad = no_grad();
        var (m, v) = model.enc.Encode(x);
        var priorM = model.z_pre[0, ..3].to(ScalarType.Float64);
        var priorV = (nn.functional.softplus(model.z_pre[0, 3..]) + 1e-8).to(ScalarType.Float64);

        // Brute force: many z ~ q(z|x), log q − log (1/3)Σ_i N(z; μ_i, σ²_i) with an explicit loop over components.
        const int samples = 20_000;
        var klBrute = 0.0;
        for (var b = 0; b < 4; b++)
        {
            var z = (m[b] + v[b].sqrt() * randn(samples, 2)).to(ScalarType.Float64);
            var logQ = Utils.LogNormal(z, m[b].to(ScalarType.Float64), v[b].to(ScalarType.Float64));
            var mixture = zeros(samples, dtype: ScalarType.Float64);
            for (var i = 0; i < 3; i++)
                mixture += Utils.LogNormal(z, priorM[i], priorV[i]).exp() / 3;
            klBrute += (logQ - mixture.log()).mean().item<double>() / 4;
        }
        var klModel = TestData.Draws(2000, () => model.NegativeElboBound(x).kl).Average();
        Assert.Equal(klBrute, klModel, 1);
    }

    [Fact]
    public void Gmvae_SamplesComeFromTheMixtureComponents()
    {
        manual_seed(7);
        using var model = new Gmvae(zDim: 2, k: 4);
        using var noGrad = no_grad();
        model.z_pre[0, ..4] = tensor(new float[,] { { -30, 0 }, { -10, 0 }, { 10, 0 }, { 30, 0 } });
        model.z_pre[0, 4..] = full(4, 2, -20f); // variance ≈ softplus(−20) ≈ 2e-9: samples sit on the means
        var z = model.SampleZ(4000);
        var firstCoordinate = z[.., 0].round().to(ScalarType.Int64).data<long>().ToArray();
        Assert.All(firstCoordinate, c => Assert.Contains(c, new long[] { -30, -10, 10, 30 }));
        Assert.All(new long[] { -30, -10, 10, 30 }, c => Assert.InRange(firstCoordinate.Count(v => v == c), 800, 1200));
    }

    [Fact]
    public void Gmvae_ShortTrainingImprovesAndIwaeIsMonotone()
    {
        var options = TrainingOptions.For(ModelKind.Gmvae) with { Iterations = 300 };
        manual_seed(options.Seed);
        using var model = ModelFactory.Create(options);
        using var subset = TestData.Test.SelectByLabel(Subsets.TestIdx);
        Trainer.Train(model, MnistDataSet.TrainingDataFor(options, TestData.Train), options, runs);
        var result = Evaluator.EvaluateLowerBound((Gmvae)model, subset);
        Assert.True(result.Nelbo < 200, $"GMVAE NELBO after 300 steps: {result.Nelbo:F1}");
        Assert.True(result.Iwae[1] > result.Iwae[10] && result.Iwae[10] > result.Iwae[100] && result.Iwae[100] > result.Iwae[1000],
            string.Join(", ", result.Iwae));
    }

    [Fact]
    public void Ssvae_NelboEqualsTheExplicitSumOverLabels()
    {
        manual_seed(8);
        using var model = new Ssvae(zDim: 8);
        using var x = TestData.BinarisedTestSubset(5);
        using var noGrad = no_grad();
        var q = nn.functional.softmax(model.cls.Classify(x), 1).to(ScalarType.Float64);

        // Term by term: KL_y, then for each label its KL_z and (in expectation) its reconstruction.
        var klY = (q * (q.log() - Math.Log(0.1))).sum(1);
        var klZ = zeros(5, dtype: ScalarType.Float64);
        var rec = zeros(5, dtype: ScalarType.Float64);
        const int draws = 400;
        for (var label = 0; label < 10; label++)
        {
            var y = nn.functional.one_hot(full(5, label, dtype: ScalarType.Int64), 10).to(ScalarType.Float32);
            var (m, v) = model.enc.Encode(x, y);
            klZ += q[.., label] * (0.5 * (v.log().neg() + v + m.square() - 1)).sum(1).to(ScalarType.Float64);
            for (var d = 0; d < draws; d++)
            {
                var logits = model.dec.Decode(m + v.sqrt() * randn_like(m), y);
                rec += q[.., label] * nn.functional.binary_cross_entropy_with_logits(logits, x, reduction: nn.Reduction.None)
                    .sum(1).to(ScalarType.Float64) / draws;
            }
        }
        var (nelbo, klZModel, klYModel, _) = model.NegativeElboBound(x);
        Assert.Equal(klY.mean().item<double>(), klYModel.item<float>(), 4);
        Assert.Equal(klZ.mean().item<double>(), klZModel.item<float>(), 3);
        var nelboModel = TestData.Draws(draws, () => model.NegativeElboBound(x).nelbo).Average();
        Assert.Equal((klY + klZ + rec).mean().item<double>(), nelboModel, 0);
    }

    [Fact]
    public void EncodeEveryLabel_GivesTheDuplicatedBatchsMomentsAndGradients()
    {
        manual_seed(9);
        using var encoder = new Encoder(xDim: 784, zDim: 8, yDim: 10);
        using var x = TestData.BinarisedTestSubset(5);
        var y = nn.functional.one_hot(arange(10).repeat_interleave(5), 10).to(ScalarType.Float32);

        var (m, v) = encoder.Encode(Utils.Duplicate(x, 10), y);
        (m.sum() + v.sum()).backward();
        var duplicated = encoder.parameters().Select(p => p.grad!.clone()).ToArray();
        encoder.zero_grad();
        var (mEvery, vEvery) = encoder.EncodeEveryLabel(x, 10);
        (mEvery.sum() + vEvery.sum()).backward();

        Assert.True(allclose(m, mEvery, rtol: 1e-5, atol: 1e-6), "means differ");
        Assert.True(allclose(v, vEvery, rtol: 1e-5, atol: 1e-6), "variances differ");
        Assert.All(encoder.parameters().Zip(duplicated), pair =>
            Assert.True(allclose(pair.First.grad!, pair.Second, rtol: 1e-4, atol: 1e-5), "gradients differ"));
    }

    [Fact]
    public void Ssvae_SupervisedOnlyTrainingLearnsToClassify()
    {
        var options = TrainingOptions.For(ModelKind.Ssvae) with { Iterations = 300, GenWeight = 0 };
        manual_seed(options.Seed);
        using var model = (Ssvae)ModelFactory.Create(options);
        var before = Evaluator.ClassificationAccuracy(model, TestData.Test.Images, TestData.Test.LabelTensor);
        Trainer.Train(model, MnistDataSet.TrainingDataFor(options, TestData.Train), options, runs);
        var after = Evaluator.ClassificationAccuracy(model, TestData.Test.Images, TestData.Test.LabelTensor);
        Assert.InRange(before, 0, 0.3);
        Assert.True(after > 0.6, $"accuracy after 300 supervised steps on 100 labels: {after:P1}");
    }

    [Fact]
    public void Ssvae_SemiSupervisedStepsLowerTheLoss()
    {
        var options = TrainingOptions.For(ModelKind.Ssvae) with { Iterations = 60 };
        manual_seed(options.Seed);
        using var model = ModelFactory.Create(options);
        var losses = new List<double>();
        Trainer.Train(model, MnistDataSet.TrainingDataFor(options, TestData.Train), options with { Iterations = 1 }, runs,
            new Progress(p => losses.Add(p.Loss)));
        Trainer.Train(model, MnistDataSet.TrainingDataFor(options, TestData.Train), options, runs,
            new Progress(p => losses.Add(p.Loss)));
        Assert.True(losses[^1] < 0.6 * losses[0], $"loss went from {losses[0]:F0} to {losses[^1]:F0}");
    }

    [Fact]
    public void Ssvae_GridHasOneRowPerDigitAndOneStylePerColumn()
    {
        manual_seed(9);
        using var model = new Ssvae();
        using var noGrad = no_grad();
        var grid = model.SampleGrid();
        Assert.Equal([200L, 784L], grid.shape);
        using var z = randn(1, 64);
        var digitThreeFirstStyle = model.ComputeSigmoidGiven(z, nn.functional.one_hot(tensor(new long[] { 3 }), 10).to(ScalarType.Float32));
        Assert.False(grid[60].allclose(grid[61]), "columns differ in style");
        Assert.False(grid[60].allclose(digitThreeFirstStyle), "a fresh z gives another style");
    }

    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
