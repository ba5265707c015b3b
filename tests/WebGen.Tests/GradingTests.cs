using WebGen.Compute.Evaluation;
using WebGen.Shared;

namespace WebGen.Tests;

/// <summary>The course grader's bands (protocol.md): both ends accepted, the SSVAE's by its variant.</summary>
public class GradingTests
{
    private static RunMetrics Nelbo(double nelbo) => new(new EvaluationResult(nelbo, 0, nelbo, new Dictionary<int, double>()), null);

    [Theory]
    [InlineData(ModelKind.Vae, 1, 98.0, true)]
    [InlineData(ModelKind.Vae, 1, 102.0, true)]
    [InlineData(ModelKind.Vae, 1, 102.01, false)]
    [InlineData(ModelKind.Vae, 1, 97.99, false)]
    [InlineData(ModelKind.Gmvae, 1, 94.0, true)]
    [InlineData(ModelKind.Gmvae, 1, 100.5, false)]
    public void Nelbo_IsGradedAgainstTheModelsBand(ModelKind model, double gw, double nelbo, bool pass) =>
        Assert.Equal((nelbo, pass), Grading.Grade(Grading.For(model, gw), Nelbo(nelbo)));

    [Theory]
    [InlineData(0, 0.71, true)]
    [InlineData(0, 0.76, true)]
    [InlineData(0, 0.935, false)]
    [InlineData(1, 0.935, true)]
    [InlineData(1, 0.9099, false)]
    public void SsvaeAccuracy_IsGradedAgainstItsVariantsBand(double gw, double accuracy, bool pass) =>
        Assert.Equal((accuracy, pass), Grading.Grade(Grading.For(ModelKind.Ssvae, gw), new RunMetrics(null, accuracy)));

    [Fact]
    public void Bands_ReadAsTheCourseWritesThem()
    {
        Assert.Equal(["100 ± 2", "97 ± 3", "0.735 ± 0.025", "0.935 ± 0.025"],
            new[] { Grading.VaeNelbo, Grading.GmvaeNelbo, Grading.SsvaeGw0Accuracy, Grading.SsvaeGw1Accuracy }.Select(b => b.ToString()));
        Assert.Null(Grading.Grade(Grading.VaeNelbo, new RunMetrics(null, 0.9))); // no NELBO to grade
    }
}
