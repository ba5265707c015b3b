using SkiaSharp;
using TorchSharp;
using WebGen.Compute.Models;
using static TorchSharp.torch;

namespace WebGen.Compute.Images;

/// <summary>Tiles images into one PNG: row-major, rows × cols tiles, like the homework's 10×20 sample grids.</summary>
public static class SampleGrid
{
    // Owned, never finalized mid-call (see OwnedScalars); an int, as the literal it replaces.
    private static readonly Scalar ByteMax = 255.ToScalar();

    /// <summary>
    /// images: (rows·cols, channels·height·width) in [0, 1], channel-first; values outside are clipped.
    /// Returns PNG bytes of size (cols·width·scale) × (rows·height·scale).
    /// </summary>
    public static byte[] RenderPng(Tensor images, int rows, int cols, int height = 28, int width = 28, int channels = 1, int scale = 1)
    {
        if (images.shape[0] != rows * cols || images.shape[1] != channels * height * width)
            throw new ArgumentException(
                $"expected ({rows * cols}, {channels * height * width}) images, got ({string.Join(", ", images.shape)}).");
        using var scope = NewDisposeScope();
        var bytes = images.detach().clamp(OwnedScalars.Zero, OwnedScalars.One).mul(ByteMax).round().to(ScalarType.Byte).cpu().data<byte>().ToArray();

        using var bitmap = new SKBitmap(cols * width * scale, rows * height * scale, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pixels = bitmap.GetPixelSpan();
        var plane = height * width;
        for (var tile = 0; tile < rows * cols; tile++)
        {
            var (top, left) = (tile / cols * height * scale, tile % cols * width * scale);
            for (var y = 0; y < height * scale; y++)
            {
                for (var x = 0; x < width * scale; x++)
                {
                    var source = tile * channels * plane + y / scale * width + x / scale;
                    var target = 4 * ((top + y) * bitmap.Width + left + x);
                    for (var c = 0; c < 3; c++)
                        pixels[target + c] = bytes[source + (channels == 3 ? c * plane : 0)];
                    pixels[target + 3] = 255;
                }
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, quality: 100);
        return data.ToArray();
    }
}
