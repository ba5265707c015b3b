using TorchSharp;
using WebGen.Compute.Data;

namespace WebGen.Tests;

/// <summary>Checks against the real MNIST files fetched by the set-up.</summary>
public class MnistTests
{
    [Fact]
    public void TrainingSet_HasTheOfficialCountsPerDigit()
    {
        int[] expected = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
        Assert.Equal(expected, Enumerable.Range(0, 10).Select(d => TestData.Train.Labels.Count(l => l == d)));
        Assert.Equal(10_000, TestData.Test.Count);
    }

    [Fact]
    public void TestSubset_Has100RowsTenPerDigitAnd99DistinctImages()
    {
        using var subset = TestData.Test.SelectByLabel(Subsets.TestIdx);
        Assert.Equal([100L, 784L], subset.shape);
        var rows = Enumerable.Range(0, 100)
            .Select(i => Convert.ToBase64String(subset[i].mul(255).round().to(torch.ScalarType.Byte).data<byte>().ToArray()))
            .ToArray();
        Assert.Equal(99, rows.Distinct().Count());
        Assert.Equal(rows[55], rows[56]); // digit 5 lists position 128 twice
    }

    [Fact]
    public void LabelledTrainingSubset_TakesPositionsAmongImagesOfEachDigit()
    {
        using var subset = TestData.Train.SelectByLabel(Subsets.TrainIdx);
        Assert.Equal(100, subset.shape[0]);
        var ofFour = Enumerable.Range(0, TestData.Train.Count).Where(i => TestData.Train.Labels[i] == 4).ToArray();
        Assert.True(subset[46].allclose(TestData.Train.Images[ofFour[2176]]));
        Assert.True(subset[46].allclose(subset[47])); // digit 4 lists position 2176 twice
    }
}
