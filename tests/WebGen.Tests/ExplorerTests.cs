using SkiaSharp;
using WebGen.Compute.Explorers;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>The latent-space explorers below the page: their arithmetic against closed forms, and what they draw.</summary>
public sealed class ExplorerTests
{
    private static ExplorerModel Untrained(ModelKind kind, int zDim = 10, int k = 20)
    {
        manual_seed(7);
        var options = TrainingOptions.For(kind) with { ZDim = zDim, K = k };
        GenerativeModel model = kind switch
        {
            ModelKind.Vae => new Vae(zDim),
            ModelKind.Gmvae => new Gmvae(zDim, k),
            ModelKind.Ssvae => new Ssvae(zDim),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return ExplorerModel.Of(model, options, TestData.DataRoot);
    }

    /// <summary>The tile at (row, col) of a PNG made of equal tiles, as RGBA bytes.</summary>
    private static byte[] Tile(byte[] png, int rows, int cols, int row, int col)
    {
        using var bitmap = SKBitmap.Decode(png);
        var (w, h) = (bitmap.Width / cols, bitmap.Height / rows);
        using var tile = new SKBitmap(w, h);
        bitmap.ExtractSubset(tile, SKRectI.Create(col * w, row * h, w, h));
        return [.. Enumerable.Range(0, h).SelectMany(y => Enumerable.Range(0, w).Select(x => tile.GetPixel(x, y).Red))];
    }

    [Fact]
    public void Lerp_StartsAtA_EndsAtB_AndStepsEvenly()
    {
        var path = LatentMath.Lerp([0, 2], [4, -2], steps: 5);

        Assert.Equal([[0f, 2f], [1f, 1f], [2f, 0f], [3f, -1f], [4f, -2f]], path);
    }

    [Fact]
    public void Slerp_BetweenPerpendicularUnitVectors_FollowsTheQuarterCircle()
    {
        var path = LatentMath.Slerp([1, 0], [0, 1], steps: 3);

        Assert.Equal(1, path[0][0], 6);
        Assert.Equal(Math.Sqrt(0.5), path[1][0], 6);
        Assert.Equal(Math.Sqrt(0.5), path[1][1], 6);
        Assert.Equal(1, path[2][1], 6);
    }

    [Fact]
    public void Slerp_BetweenVectorsOfOneNorm_KeepsThatNormAllAlong()
    {
        float[] a = [3, 4, 0], b = [0, -3, 4];

        var norms = LatentMath.Slerp(a, b, steps: 9).Select(z => Math.Sqrt(z.Sum(v => v * v)));

        Assert.All(norms, n => Assert.Equal(5, n, 4));
    }

    [Fact]
    public void Slerp_OfParallelVectors_IsTheStraightLine()
    {
        Assert.Equal(LatentMath.Lerp([1, 1], [2, 2], 4), LatentMath.Slerp([1, 1], [2, 2], 4));
    }

    [Fact]
    public void Sweep_MovesOnlyAlongItsDirection_FromMinusThreeToPlusThreeSigma()
    {
        var row = LatentMath.Sweep(origin: [1, 2, 3], direction: [0, 1, 0], scale: 0.5, steps: 7);

        Assert.All(row, z => Assert.Equal((1f, 3f), (z[0], z[2])));
        Assert.Equal([0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f], row.Select(z => z[1]));
    }

    [Fact]
    public void Pca_OfPointsOnALine_FindsTheLine_ItsSpread_AndAllTheVariance()
    {
        // Points mean + t·(0.6, 0.8) for t = −2, −1, 0, 1, 2: spread √2.5 along one direction, nothing across it.
        var t = new[] { -2f, -1, 0, 1, 2 };
        using var points = tensor(t.SelectMany(s => new[] { 1 + 0.6f * s, -1 + 0.8f * s }).ToArray()).reshape(5, 2);

        var pca = LatentMath.Pca(points, components: 1);

        Assert.Equal([1f, -1f], pca.Mean.Select(m => MathF.Round(m, 5)));
        Assert.Equal(0.6, Math.Abs(pca.Directions[0][0]), 5);
        Assert.Equal(0.8, Math.Abs(pca.Directions[0][1]), 5);
        Assert.Equal(Math.Sqrt(2.5), pca.Deviations[0], 5);
        Assert.Equal(1, pca.Explained, 6);
    }

    [Fact]
    public void Project_ThenLift_ReturnsThePointsOfThePlane()
    {
        using var points = tensor(new float[] { 1, 2, 3, 4, 5, 7, 2, 2, 2 }).reshape(3, 3);
        var pca = LatentMath.Pca(points, components: 2); // three points lie in a plane: two directions keep them exactly

        var lifted = LatentMath.Project(points, pca).Select(c => pca.Lift([c[0], c[1]])).ToArray();

        Assert.Equal(points.data<float>().ToArray(), lifted.SelectMany(z => z), new ToleranceComparer(1e-4f));
    }

    [Fact]
    public void Responsibilities_MatchTheClosedFormOfTwoUnitGaussians()
    {
        // r₀(z) = 1 / (1 + exp(−(z·(m₀ − m₁)) + (|m₀|² − |m₁|²)/2)) for unit variances and equal weights.
        using var z = tensor(new float[] { 0.3f, -0.2f }).reshape(1, 2);
        using var m = tensor(new float[] { 0, 0, 1, 1 }).reshape(2, 2);
        using var v = ones(2, 2);

        using var r = LatentMath.Responsibilities(z, m, v);

        var logit = (0.3 * -1 + -0.2 * -1) - (0 - 2) / 2.0;
        Assert.Equal(1 / (1 + Math.Exp(-logit)), r[0, 0].item<float>(), 5);
        Assert.Equal(1, r.sum().item<float>(), 5);
    }

    [Fact]
    public void Interpolation_EndsAreTheReconstructionsOfTheTwoImages()
    {
        using var explorer = Untrained(ModelKind.Vae);
        var (a, b) = (explorer.FirstOf(3), explorer.FirstOf(8));

        foreach (var spherical in new[] { false, true })
        {
            var strip = explorer.Interpolate(a, b, steps: 6, spherical);

            Assert.Equal(Tile(explorer.Reconstruction(a), 1, 1, 0, 0), Tile(strip, 1, 6, 0, 0));
            Assert.Equal(Tile(explorer.Reconstruction(b), 1, 1, 0, 0), Tile(strip, 1, 6, 0, 5));
        }
    }

    [Fact]
    public void Interpolation_OfALabelConditionedModel_DrawsOneRowPerDigit_EndingInEachReconstruction()
    {
        using var explorer = Untrained(ModelKind.Ssvae, zDim: 64);
        var (a, b) = (explorer.FirstOf(1), explorer.FirstOf(7));

        var strip = explorer.Interpolate(a, b, steps: 4, spherical: false);

        Assert.Equal(Tile(explorer.Reconstruction(a), 1, 1, 0, 0), Tile(strip, 2, 4, 0, 0));
        Assert.Equal(Tile(explorer.Reconstruction(b), 1, 1, 0, 0), Tile(strip, 2, 4, 1, 3));
    }

    [Fact]
    public void Traversal_HasOneRowPerDimension_ForASmallZ_AndTenPrincipalDirectionsForALargeOne()
    {
        using var small = Untrained(ModelKind.Vae, zDim: 4);
        using var large = Untrained(ModelKind.Ssvae, zDim: 64);

        var (fromPrior, fromImage) = (small.Traverse(from: null, digit: 0, steps: 5), large.Traverse(from: large.FirstOf(2), digit: 0, steps: 5));

        Assert.Equal(["z1", "z2", "z3", "z4"], fromPrior.Rows);
        Assert.Equal(10, fromImage.Rows.Count);
        using var bitmap = SKBitmap.Decode(fromImage.Png);
        Assert.Equal((5 * 28 * 2, 10 * 28 * 2), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void LatentMap_PlacesEveryTestImage_ExactlyAtZForZOfTwo_WithTheManifoldBehind()
    {
        using var explorer = Untrained(ModelKind.Vae, zDim: 2);

        var map = explorer.Map();

        Assert.Equal(ExplorerLimits.MapImages, map.Points.Count);
        var first = explorer.MeanOf(0);
        Assert.Equal((first[0], first[1]), (map.Points[0].X, map.Points[0].Y));
        Assert.NotNull(map.Manifold);
        Assert.Equal(Enumerable.Range(0, 10), map.Points.Select(p => p.Digit).Distinct().Order());
    }

    [Fact]
    public void DecodeAt_ThePointOfATestImage_DrawsItsReconstruction()
    {
        using var explorer = Untrained(ModelKind.Vae, zDim: 2);
        var point = explorer.Map().Points[42];

        Assert.Equal(Tile(explorer.Reconstruction(42), 1, 1, 0, 0), Tile(explorer.DecodeAt(point.X, point.Y), 1, 1, 0, 0));
    }

    [Fact]
    public void Mixture_ClaimsSumToTheTestImages_MostClaimingFirst_EachByItsDigits()
    {
        using var explorer = Untrained(ModelKind.Gmvae, k: 20);

        var components = explorer.Mixture();

        Assert.Equal(20, components.Count);
        Assert.Equal(explorer.TestCount, components.Sum(c => c.Claims));
        Assert.Equal(components.Select(c => c.Claims).OrderDescending(), components.Select(c => c.Claims));
        Assert.All(components, c => Assert.Equal(c.Claims, c.ClaimsByDigit.Sum()));
        Assert.All(components, c => Assert.Equal(1.0 / 20, c.Weight));
    }

    [Fact]
    public void SampleComponent_WithOneSeed_DrawsTheSameImages_AndAnotherSeedOthers()
    {
        using var explorer = Untrained(ModelKind.Gmvae, k: 20);

        var (first, again, other) = (explorer.SampleComponent(3, seed: 5), explorer.SampleComponent(3, seed: 5), explorer.SampleComponent(3, seed: 6));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1_000_000_000)]
    public void Interpolate_RefusesAStepCountOutsideItsRange_NamingTheRange(int steps)
    {
        using var explorer = Untrained(ModelKind.Vae);

        var error = Assert.Throws<ArgumentException>(() => explorer.Interpolate(0, 1, steps, spherical: false));

        Assert.Contains($"steps {steps}: accepted values are {ExplorerLimits.MinSteps} to {ExplorerLimits.MaxSteps}", error.Message);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e300)]
    public void DecodeAt_RefusesACoordinateThatIsNotAFiniteNumberInRange(double x)
    {
        using var explorer = Untrained(ModelKind.Vae, zDim: 2);

        var error = Assert.Throws<ArgumentException>(() => explorer.DecodeAt(x, 0));

        Assert.Contains("accepted values are finite numbers", error.Message);
    }

    [Fact]
    public void AnotherTestImageIndex_OutsideTheSet_IsRefusedNamingTheRange()
    {
        using var explorer = Untrained(ModelKind.Vae);

        var error = Assert.Throws<ArgumentException>(() => explorer.Reconstruction(explorer.TestCount));

        Assert.Contains($"test image {explorer.TestCount}: accepted values are 0 to {explorer.TestCount - 1}", error.Message);
    }

    [Fact]
    public void AfterDispose_EveryCallIsRefused_InsteadOfReadingFreedWeights()
    {
        var explorer = Untrained(ModelKind.Vae);
        explorer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => explorer.Reconstruction(0));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
