using WebGen.Compute.Training;

namespace WebGen.Tests;

public sealed class ReplicatesTests
{
    [Fact]
    public void MetricSummary_GivesTheMeanTheSampleStandardDeviationAndTheStandardError()
    {
        // 1, 2, 3, 4: mean 2.5, sample variance (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3, standard error √(5/3) / √4.
        var summary = MetricSummary.Of([1.0, 2.0, 3.0, 4.0]);
        Assert.Equal(2.5, summary.Mean, 12);
        Assert.Equal(Math.Sqrt(5.0 / 3), summary.StandardDeviation, 12);
        Assert.Equal(Math.Sqrt(5.0 / 3) / 2, summary.StandardError, 12);
        Assert.Equal("2.50 ± 0.65", summary.ToString());
    }
}
