using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>The label-conditioned decoders' one-digit decoding, which the explorers use instead of decoding all ten.</summary>
public sealed class DecodeDigitTests
{
    [Theory]
    [InlineData(ModelKind.Ssvae)]
    [InlineData(ModelKind.Fsvae)]
    public void DecodingOneDigit_DrawsExactlyThatDigitsRowOfDecodingEveryDigit(ModelKind kind)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var options = TrainingOptions.For(kind);
        using var model = ModelFactory.Create(options);
        var conditioned = (ILabelConditionedModel)model;
        var z = randn(5, conditioned.ZDim, generator: new TorchSharp.torch.Generator(3));

        var every = conditioned.DecodeDigits(z);

        for (var digit = 0; digit < LabelConditioned.Digits; digit++)
            Assert.True(conditioned.DecodeDigit(z, digit).allclose(every[digit], rtol: 1e-5, atol: 1e-6), $"digit {digit} differs");
    }

    [Fact]
    public void ADigitOutsideZeroToNine_IsRefusedNamingTheRange()
    {
        var options = TrainingOptions.For(ModelKind.Ssvae);
        using var model = ModelFactory.Create(options);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ((ILabelConditionedModel)model).DecodeDigit(zeros(1, options.ZDim), 10));

        Assert.Contains("digits are 0 to 9", error.Message);
    }
}
