using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace WebGen.WebApp.Gallery;

/// <summary>
/// A run's kept preview grids as one animated GIF, a frame per grid in step order. The grids are decoded by SkiaSharp
/// and only handed to ImageSharp as pixels, which it encodes: ImageSharp never parses a file.
/// </summary>
public sealed class GalleryAnimation(RunGallery gallery, IOptions<GalleryOptions> options) : IDisposable
{
    /// <summary>Each frame shows for this long (GIF counts hundredths of a second); the last one a while longer.</summary>
    public const int FrameDelay = 20, LastFrameDelay = 150;

    private readonly SemaphoreSlim encoding = new(Math.Max(1, options.Value.ConcurrentAnimations));

    /// <summary>The GIF of the run's grids so far, or null when it has none yet.</summary>
    public async Task<byte[]?> GifAsync(Guid runId, CancellationToken cancellationToken)
    {
        await encoding.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => Encode(runId, cancellationToken), cancellationToken);
        }
        finally
        {
            encoding.Release();
        }
    }

    private byte[]? Encode(Guid runId, CancellationToken cancellationToken)
    {
        Image<Rgba32>? animation = null;
        try
        {
            foreach (var step in gallery.Steps(runId))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (gallery.FileOf(runId, step) is not { } file)
                    continue; // let go of while we read
                using var frame = Decode(File.ReadAllBytes(file));
                frame.Frames.RootFrame.Metadata.GetGifMetadata().FrameDelay = FrameDelay;
                if (animation is null)
                    animation = frame.Clone();
                else if (frame.Size() == animation.Size())
                    animation.Frames.AddFrame(frame.Frames.RootFrame);
            }
            if (animation is null)
                return null;
            animation.Frames[^1].Metadata.GetGifMetadata().FrameDelay = LastFrameDelay;
            animation.Metadata.GetGifMetadata().RepeatCount = 0; // loop for ever
            using var gif = new MemoryStream();
            animation.SaveAsGif(gif);
            return gif.ToArray();
        }
        finally
        {
            animation?.Dispose();
        }
    }

    private static Image<Rgba32> Decode(byte[] png)
    {
        using var data = SKData.CreateCopy(png);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("A stored preview grid is not a PNG.");
        var info = codec.Info.WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Unpremul);
        using var bitmap = SKBitmap.Decode(codec, info) ?? throw new InvalidDataException("A stored preview grid could not be decoded.");
        return Image.LoadPixelData<Rgba32>(bitmap.GetPixelSpan(), bitmap.Width, bitmap.Height);
    }

    public void Dispose() => encoding.Dispose();
}
