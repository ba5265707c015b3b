using SkiaSharp;
using WebGen.Shared;

namespace WebGen.Compute.Images;

/// <summary>
/// Turns an uploaded picture (PNG, JPEG, GIF, BMP or WebP) into what a model reads: channel-first values in [0, 1]
/// at the model's size. Grey models get an MNIST-like digit — white on black, fitted into the central 20×20 of 28×28
/// — so a photo of ink on paper is inverted; colour models get the picture scaled to the whole frame, as SVHN crops are.
/// </summary>
public static class ImageInput
{
    /// <summary>The largest upload read, in bytes.</summary>
    public const int MaxBytes = 5 * 1024 * 1024;

    /// <summary>
    /// The largest width and height decoded. A few kilobytes of PNG can declare 16000 × 16000 pixels (1 GB decoded),
    /// so the size is read from the header and checked before anything is decoded; photos from phones fit.
    /// </summary>
    public const int MaxSide = 4096;

    public static float[] Read(byte[] file, int channels, int height, int width)
    {
        if (file.Length > MaxBytes)
            throw new InvalidDataException($"the picture is {ByteSize.Describe(file.Length)}; pictures up to {ByteSize.Describe(MaxBytes)} are accepted.");
        const string accepted = "PNG, JPEG, GIF, BMP and WebP are accepted";
        using var data = SKData.CreateCopy(file);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException($"the file is not a picture; {accepted}.");
        if (codec.Info.Width > MaxSide || codec.Info.Height > MaxSide)
            throw new InvalidDataException($"the picture is {codec.Info.Width} × {codec.Info.Height} pixels; pictures up to {MaxSide} × {MaxSide} are accepted.");
        using var decoded = SKBitmap.Decode(codec) ?? throw new InvalidDataException($"the picture could not be decoded; {accepted}.");
        if (channels == 3)
            return ChannelFirst(decoded, width, height, left: 0, top: 0, width, height);

        // MNIST digits fill a 20×20 box centred in 28×28, with the aspect ratio kept.
        var box = (int)Math.Round(Math.Min(width, height) * 20.0 / 28.0);
        var fit = Math.Min((double)box / decoded.Width, (double)box / decoded.Height);
        var (w, h) = (Math.Max(1, (int)Math.Round(decoded.Width * fit)), Math.Max(1, (int)Math.Round(decoded.Height * fit)));
        return ChannelFirst(decoded, width, height, (width - w) / 2, (height - h) / 2, w, h, greyscale: true);
    }

    /// <summary>The picture scaled to w×h at (left, top) of a black width×height canvas, channel-first in [0, 1].</summary>
    private static float[] ChannelFirst(SKBitmap picture, int width, int height, int left, int top, int w, int h, bool greyscale = false)
    {
        using var scaled = picture.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            new SKSamplingOptions(SKCubicResampler.Mitchell))
            ?? throw new InvalidDataException("the picture could not be scaled to the model's size.");
        var rgba = scaled.GetPixelSpan();
        var channels = greyscale ? 1 : 3;
        var values = new float[channels * height * width];
        // Ink on paper is dark on light; MNIST is light on dark. The picture's own border says which one it is.
        var invert = greyscale && BorderBrightness(rgba, w, h) > 0.5;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var at = 4 * (y * w + x);
                var target = (top + y) * width + left + x;
                if (greyscale)
                {
                    var luminance = Luminance(rgba, at);
                    values[target] = invert ? 1 - luminance : luminance;
                }
                else
                {
                    for (var c = 0; c < 3; c++)
                        values[c * height * width + target] = Channel(rgba, at, c);
                }
            }
        }
        return values;
    }

    private static float Luminance(ReadOnlySpan<byte> rgba, int at) =>
        0.299f * Channel(rgba, at, 0) + 0.587f * Channel(rgba, at, 1) + 0.114f * Channel(rgba, at, 2);

    /// <summary>One colour channel in [0, 1], seen over a white page where the picture is transparent.</summary>
    private static float Channel(ReadOnlySpan<byte> rgba, int at, int c)
    {
        var alpha = rgba[at + 3] / 255f;
        return (rgba[at + c] / 255f * alpha) + (1 - alpha);
    }

    private static double BorderBrightness(ReadOnlySpan<byte> rgba, int w, int h)
    {
        double sum = 0;
        var count = 0;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                if (y != 0 && y != h - 1 && x != 0 && x != w - 1) continue;
                sum += Luminance(rgba, 4 * (y * w + x));
                count++;
            }
        }
        return sum / count;
    }
}
