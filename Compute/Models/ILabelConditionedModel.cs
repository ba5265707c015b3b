using TorchSharp;
using WebGen.Compute.Images;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>
/// A model whose decoder takes the digit y beside the latent z (SSVAE, FSVAE): y carries the content and z the
/// style, so one z drawn with y = 0…9 writes ten digits in one style.
/// </summary>
public interface ILabelConditionedModel
{
    long ZDim { get; }

    /// <summary>What one row of x is, channel-first.</summary>
    (int Channels, int Height, int Width) ImageShape { get; }

    /// <summary>
    /// z: (n, z_dim) on any device → (10, n, x_dim) images in [0, 1] on the model's device; [d, j] is digit d written
    /// in style z_j.
    /// </summary>
    Tensor DecodeDigits(Tensor z);

    /// <summary>z: (n, z_dim) on any device → (n, x_dim) images in [0, 1]: <paramref name="digit"/> written in each style z_j.</summary>
    Tensor DecodeDigit(Tensor z, int digit);

    /// <summary>The style of images known to show <paramref name="digit"/>: the mean of q(z | x, y). x: (n, x_dim) → (n, z_dim).</summary>
    Tensor EncodeStyle(Tensor x, int digit);
}

/// <summary>What the style explorer calls, and the pieces the label-conditioned models share.</summary>
public static class LabelConditioned
{
    public const int Digits = 10;

    /// <summary>
    /// The style explorer's picture: the ten digits of one style z side by side, as PNG bytes, each pixel drawn
    /// <paramref name="scale"/>×<paramref name="scale"/>; no gradients.
    /// </summary>
    public static byte[] DrawDigitsPng(this ILabelConditionedModel model, ReadOnlySpan<float> z, int scale = 3)
    {
        if (z.Length != model.ZDim)
            throw new ArgumentException($"z has {z.Length} values; this model's latent has {model.ZDim}.", nameof(z));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var images = model.DecodeDigits(tensor(z.ToArray()).unsqueeze(0)).reshape(Digits, -1);
        var (channels, height, width) = model.ImageShape;
        return SampleGrid.RenderPng(images, rows: 1, cols: Digits, height, width, channels, scale);
    }

    /// <summary>The style of one image (channels·height·width values in [0, 1], channel-first) showing <paramref name="digit"/>.</summary>
    public static float[] FindStyle(this ILabelConditionedModel model, ReadOnlySpan<float> image, int digit)
    {
        var (channels, height, width) = model.ImageShape;
        if (image.Length != channels * height * width)
            throw new ArgumentException(
                $"the image has {image.Length} values; this model reads {channels}×{height}×{width} = {channels * height * width}.", nameof(image));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return model.EncodeStyle(tensor(image.ToArray()).unsqueeze(0), digit).cpu().data<float>().ToArray();
    }

    /// <summary>The 10×20 style grid, row-major (200, x_dim): row i is digit i, column j shares z_j ~ N(0, I).</summary>
    public static Tensor StyleGrid(this ILabelConditionedModel model, Device device, int styles = 20)
    {
        // Its own scope keeps the temporaries referenced, so none is finalized mid-call whatever scope the caller has.
        using var scope = NewDisposeScope();
        return model.DecodeDigits(RandomStream.StandardNormal([styles, model.ZDim], ScalarType.Float32, device)).reshape(Digits * styles, -1).MoveToOuterDisposeScope();
    }

    /// <summary>Each of n styles with every digit, digit-major: z (n, z_dim) → z (10·n, z_dim) and one-hot y (10·n, 10).</summary>
    internal static (Tensor z, Tensor y) EveryDigit(Tensor z, long zDim, Device device)
    {
        if (z.dim() != 2 || z.shape[1] != zDim)
            throw new ArgumentException($"z has shape ({string.Join(", ", z.shape)}); expected (n, {zDim}).", nameof(z));
        var n = z.shape[0];
        var y = nn.functional.one_hot(OwnedScalars.Range(Digits, device).repeat_interleave(n), Digits).to(ScalarType.Float32);
        return (z.to(device).repeat(Digits, 1), y);
    }

    /// <summary>z (n, z_dim) on the model's device with y = digit one-hot (n, 10): one digit in each style.</summary>
    internal static (Tensor z, Tensor y) OneDigitOfEach(Tensor z, int digit, long zDim, Device device)
    {
        if (z.dim() != 2 || z.shape[1] != zDim)
            throw new ArgumentException($"z has shape ({string.Join(", ", z.shape)}); expected (n, {zDim}).", nameof(z));
        if (digit is < 0 or >= Digits)
            throw new ArgumentOutOfRangeException(nameof(digit), digit, "digits are 0 to 9.");
        var y = nn.functional.one_hot(OwnedScalars.Full(z.shape[0], digit, ScalarType.Int64, device), Digits).to(ScalarType.Float32);
        return (z.to(device), y);
    }

    /// <summary>x (n, x_dim) on the model's device with y = digit one-hot (n, 10); errors name the accepted range.</summary>
    internal static (Tensor x, Tensor y) OneDigit(Tensor x, int digit, long xDim, Device device)
    {
        if (digit is < 0 or >= Digits)
            throw new ArgumentOutOfRangeException(nameof(digit), digit, "digits are 0 to 9.");
        if (x.dim() != 2 || x.shape[1] != xDim)
            throw new ArgumentException($"x has shape ({string.Join(", ", x.shape)}); expected (n, {xDim}).", nameof(x));
        var y = nn.functional.one_hot(OwnedScalars.Full(x.shape[0], digit, ScalarType.Int64, device), Digits).to(ScalarType.Float32);
        return (x.to(device), y);
    }
}
