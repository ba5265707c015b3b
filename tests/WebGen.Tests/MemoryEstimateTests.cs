using WebGen.Compute.Training;
using WebGen.Shared;

namespace WebGen.Tests;

/// <summary>The peak-memory estimate a server checks runs against before it queues them.</summary>
public sealed class MemoryEstimateTests
{
    private const long MB = 1L << 20, GB = 1L << 30;

    private static long Bytes(TrainingOptions options) => MemoryEstimate.For(options).RunBytes;

    [Theory]
    [InlineData(ModelKind.Vae)]
    [InlineData(ModelKind.Gmvae)]
    [InlineData(ModelKind.Ssvae)]
    [InlineData(ModelKind.Fsvae)]
    public void ALargerBatch_NeedsMoreMemory(ModelKind model)
    {
        var homework = TrainingOptions.For(model);
        Assert.True(Bytes(homework with { BatchSize = 10_000 }) > Bytes(homework));
    }

    [Theory]
    [InlineData(ModelKind.Vae)]
    [InlineData(ModelKind.Gmvae)]
    [InlineData(ModelKind.Ssvae)]
    [InlineData(ModelKind.Fsvae)]
    public void ALargerZ_NeedsMoreMemory(ModelKind model)
    {
        var homework = TrainingOptions.For(model);
        Assert.True(Bytes(homework with { ZDim = 128 }) > Bytes(homework));
    }

    [Fact]
    public void MoreMixtureComponents_NeedMoreMemory()
    {
        var homework = TrainingOptions.For(ModelKind.Gmvae);
        Assert.True(Bytes(homework with { K = 1000 }) > Bytes(homework));
    }

    [Theory]
    // Peak RSS (MiB) that /usr/bin/time -v measured for `webgen-cli train <model> --iterations 50 --device cpu --batch --z --k` (README).
    [InlineData(ModelKind.Vae, 100, 10, 500, 522)]
    [InlineData(ModelKind.Gmvae, 100, 10, 500, 526)]
    [InlineData(ModelKind.Ssvae, 100, 64, 500, 570)]
    [InlineData(ModelKind.Gmvae, 1000, 10, 2000, 673)]
    [InlineData(ModelKind.Gmvae, 500, 64, 1000, 648)]
    [InlineData(ModelKind.Vae, 10_000, 10, 500, 873)]
    [InlineData(ModelKind.Ssvae, 1000, 64, 500, 923)]
    public void AMeasuredRun_IsEstimatedAboveItsPeakButWithinTwoAndAHalfTimesIt(ModelKind model, int batch, int z, int k, int measuredMB)
    {
        var estimate = MemoryEstimate.For(TrainingOptions.For(model) with { BatchSize = batch, ZDim = z, K = k });
        Assert.InRange(estimate.ProcessBytes, measuredMB * MB, 5 * measuredMB * MB / 2);
    }

    [Fact]
    public void AGmvaeWithTheLargestBatchZAndK_NeedsTensOfGigabytes()
    {
        var huge = TrainingOptions.For(ModelKind.Gmvae) with { BatchSize = 60_000, ZDim = 1024, K = 10_000 };
        // 60,000 × 10,000 floats are 2.4 GB for each of the mixture density's intermediates, kept for backward.
        Assert.True(Bytes(huge) > 30 * GB, ByteSize.Describe(Bytes(huge)));
    }
}
