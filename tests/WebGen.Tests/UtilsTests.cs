using TorchSharp;
using WebGen.Compute.Models;
using static TorchSharp.torch;

namespace WebGen.Tests;

public class UtilsTests
{
    private static double[] Values(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();

    private static void AssertClose(double[] expected, double[] actual, int precision)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], precision);
    }

    [Fact]
    public void GaussianParameters_SplitsHalvesAndSoftplusesVariance()
    {
        var h = tensor(new[,] { { 1.0f, -2.0f, 0.5f, -30f } });
        var (m, v) = Utils.GaussianParameters(h);
        AssertClose([1.0, -2.0], Values(m), 6);
        Assert.Equal(Math.Log(1 + Math.Exp(0.5)) + 1e-8, Values(v)[0], 6);
        Assert.True(Values(v)[1] > 0, "variance stays positive even for very negative pre-activations");
    }

    [Fact]
    public void LogNormal_MatchesClosedFormDensity()
    {
        var x = tensor(new[] { 0.3, -1.2 }, dtype: ScalarType.Float64);
        var m = tensor(new[] { 0.1, 0.4 }, dtype: ScalarType.Float64);
        var v = tensor(new[] { 0.5, 2.0 }, dtype: ScalarType.Float64);
        double expected = 0;
        for (var i = 0; i < 2; i++)
        {
            var (xi, mi, vi) = (Values(x)[i], Values(m)[i], Values(v)[i]);
            expected += Math.Log(Math.Exp(-(xi - mi) * (xi - mi) / (2 * vi)) / Math.Sqrt(2 * Math.PI * vi));
        }
        Assert.Equal(expected, Utils.LogNormal(x, m, v).item<double>(), 10);
    }

    [Fact]
    public void KlNormal_MatchesTheGaussianKlFormula()
    {
        double[] qm = [0.3, -1.0, 2.0], qv = [0.5, 1.5, 0.1], pm = [0.0, 0.5, -1.0], pv = [1.0, 2.0, 0.7];
        var expected = Enumerable.Range(0, 3).Sum(i =>
            Math.Log(Math.Sqrt(pv[i]) / Math.Sqrt(qv[i])) + (qv[i] + Math.Pow(qm[i] - pm[i], 2)) / (2 * pv[i]) - 0.5);
        var kl = Utils.KlNormal(tensor(qm), tensor(qv), tensor(pm), tensor(pv));
        Assert.Equal(expected, kl.item<double>(), 10);
    }

    [Fact]
    public void KlNormal_AgreesWithMonteCarloEstimate()
    {
        manual_seed(1);
        var qm = tensor(new[] { 0.3, -1.0, 2.0 }).unsqueeze(0);
        var qv = tensor(new[] { 0.5, 1.5, 0.1 }).unsqueeze(0);
        var pm = tensor(new[] { 0.0, 0.5, -1.0 }).unsqueeze(0);
        var pv = tensor(new[] { 1.0, 2.0, 0.7 }).unsqueeze(0);
        var z = Utils.SampleGaussian(qm.expand(400_000, 3), qv.expand(400_000, 3));
        var samples = Utils.LogNormal(z, qm, qv) - Utils.LogNormal(z, pm, pv);
        var estimate = samples.mean().item<double>();
        var standardError = samples.std().item<double>() / Math.Sqrt(400_000);
        var exact = Utils.KlNormal(qm, qv, pm, pv).item<double>();
        Assert.InRange(estimate, exact - 4 * standardError, exact + 4 * standardError);
    }

    [Fact]
    public void SampleGaussian_HasTheRequestedMeanAndVariance()
    {
        manual_seed(2);
        var m = full(200_000, 1, 1.5, dtype: ScalarType.Float64);
        var v = full(200_000, 1, 4.0, dtype: ScalarType.Float64);
        var z = Utils.SampleGaussian(m, v);
        Assert.Equal(1.5, z.mean().item<double>(), 1);
        Assert.Equal(4.0, z.var().item<double>(), 1);
    }

    [Theory]
    [InlineData(1000.0, 1000.0, 1000.0)]
    [InlineData(-1000.0, -1000.0, -1000.0)]
    [InlineData(1000.0, -1000.0, 1000.0 - 0.69314718055994531)]
    [InlineData(0.0, 0.0, 0.0)]
    public void LogMeanExp_IsStableForHugeValues(double a, double b, double expected)
    {
        var result = Utils.LogMeanExp(tensor(new[] { a, b }), dim: 0).item<double>();
        Assert.Equal(expected, result, 9);
    }

    [Fact]
    public void LogMeanExp_ReducesOnlyTheGivenDim()
    {
        var x = tensor(new[,] { { 0.0, 0.0 }, { Math.Log(3), Math.Log(5) } });
        AssertClose([Math.Log(2), Math.Log(3)], Values(Utils.LogMeanExp(x, dim: 0)), 9);
    }

    [Fact]
    public void LogNormalMixture_EqualsDirectSumOverComponents()
    {
        manual_seed(3);
        var z = randn(4, 3, dtype: ScalarType.Float64);
        var m = randn(1, 5, 3, dtype: ScalarType.Float64);
        var v = rand(1, 5, 3, dtype: ScalarType.Float64) + 0.2;
        var result = Values(Utils.LogNormalMixture(z, m, v));
        for (var b = 0; b < 4; b++)
        {
            double sum = 0;
            for (var k = 0; k < 5; k++)
                sum += Math.Exp(Utils.LogNormal(z[b], m[0, k], v[0, k]).item<double>());
            Assert.Equal(Math.Log(sum / 5), result[b], 9);
        }
    }

    [Fact]
    public void LogNormalMixture_InSinglePrecisionAtGmvaeScales_StaysWithinAThousandthOfTheDirectSum()
    {
        // A trained GMVAE's components: means of a few units, variances down to 0.01; z near some of them.
        manual_seed(4);
        var m = randn(1, 500, 10) * 3;
        var v = rand(1, 500, 10) + 0.01;
        var z = m[0].narrow(0, 0, 50) + (randn(50, 10) * 0.1);
        var direct = Utils.LogMeanExp(Utils.LogNormal(z.unsqueeze(1).to(ScalarType.Float64), m.to(ScalarType.Float64),
            v.to(ScalarType.Float64)), dim: 1);

        var expanded = Utils.LogNormalMixture(z, m, v);

        var gap = (expanded.to(ScalarType.Float64) - direct).abs().max().item<double>();
        Assert.True(gap < 1e-3, $"{gap}");
    }

    [Fact]
    public void KlCat_EqualsExplicitSum()
    {
        var q = tensor(new[,] { { 0.7, 0.2, 0.1 } });
        var expected = new[] { 0.7, 0.2, 0.1 }.Sum(p => p * (Math.Log(p) - Math.Log(1.0 / 3)));
        Assert.Equal(expected, Utils.KlCat(q, q.log(), full(1, 3, Math.Log(1.0 / 3), dtype: ScalarType.Float64)).item<double>(), 10);
    }

    [Fact]
    public void LogBernoulliWithLogits_MatchesBernoulliLogLikelihood()
    {
        double[] x = [1, 0, 1], logits = [2.0, -0.5, -3.0];
        var expected = Enumerable.Range(0, 3).Sum(i =>
        {
            var p = 1 / (1 + Math.Exp(-logits[i]));
            return x[i] * Math.Log(p) + (1 - x[i]) * Math.Log(1 - p);
        });
        Assert.Equal(expected, Utils.LogBernoulliWithLogits(tensor(x).unsqueeze(0), tensor(logits).unsqueeze(0)).item<double>(), 9);
    }

    [Fact]
    public void Duplicate_RepeatsTheWholeBatchInOrder()
    {
        var x = tensor(new[,] { { 1.0, 10.0 }, { 2.0, 20.0 }, { 3.0, 30.0 } });
        var duplicated = Utils.Duplicate(x, 2);
        Assert.Equal([6L, 2L], duplicated.shape);
        Assert.Equal([1.0, 10, 2, 20, 3, 30, 1, 10, 2, 20, 3, 30], Values(duplicated));
    }
}
