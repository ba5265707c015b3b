using SkiaSharp;
using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Images;
using WebGen.Compute.Models;
using WebGen.Compute.Styles;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>The style explorer's pieces below the page: slider directions and uploaded pictures.</summary>
public sealed class StyleTests
{
    /// <summary>A white picture with one black rectangle, encoded as PNG: ink on paper.</summary>
    internal static byte[] InkOnPaper(int width, int height, SKRect ink, SKColor? paper = null)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(paper ?? SKColors.White);
            using var pen = new SKPaint { Color = SKColors.Black };
            canvas.DrawRect(ink, pen);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void PrincipalAxes_FindTheDirectionsAndSpreadsTheStylesWereMadeWith()
    {
        // Styles spread 3 along u and 1 along v around a mean, in 6 dimensions: the axes must find u, then v.
        manual_seed(1);
        var u = tensor(new float[] { 1, 1, 0, 0, 0, 0 }) / MathF.Sqrt(2);
        var v = tensor(new float[] { 0, 0, 1, -1, 1, -1 }) / 2;
        var mean = tensor(new float[] { 0.5f, -1, 2, 0, 0, 1 });
        var n = 20_000;
        var styles = mean + (3 * randn(n, 1) * u) + (randn(n, 1) * v) + (0.01f * randn(n, 6));

        var axes = StyleAxes.Principal(styles, count: 2, source: "test styles");

        Assert.Equal(2, axes.Count);
        Assert.Equal(mean.data<float>().ToArray(), axes.Origin, (a, b) => Math.Abs(a - b) < 0.05);
        // One standard deviation along axis 0 moves z by ±3u; along axis 1 by ±v.
        var alongFirst = tensor(axes.Move(axes.Origin, 0, 1)) - tensor(axes.Origin);
        var alongSecond = tensor(axes.Move(axes.Origin, 1, 1)) - tensor(axes.Origin);
        Assert.Equal(3, Math.Abs(alongFirst.dot(u).item<float>()), 0.05);
        Assert.Equal(1, Math.Abs(alongSecond.dot(v).item<float>()), 0.02);
        Assert.Equal(0, alongSecond.dot(u).item<float>(), 0.02);
        Assert.Contains("90 %", axes.Names[0]); // 9 of the total variance 10 (plus the noise)
        Assert.Contains("principal directions", axes.Description);
        Assert.Contains("test styles", axes.Description);
    }

    [Fact]
    public void Coordinates_ReadBackWhereMoveLeftZ_AndMoveKeepsTheRestOfZ()
    {
        manual_seed(2);
        var axes = StyleAxes.Principal(randn(500, 8) * tensor(new float[] { 5, 4, 3, 2, 1, 1, 1, 1 }), count: 3, source: "random styles");
        var z = randn(8).data<float>().ToArray();

        var moved = axes.Move(z, 1, 2.5);

        var before = axes.Coordinates(z);
        var after = axes.Coordinates(moved);
        Assert.Equal(2.5, after[1], 1e-4);
        Assert.Equal(before[0], after[0], 1e-4);
        Assert.Equal(before[2], after[2], 1e-4);
        Assert.All(axes.Coordinates(axes.Origin), c => Assert.Equal(0, c, 1e-6));
    }

    [Fact]
    public void DimensionAxes_AreZsOwnDimensions()
    {
        var axes = StyleAxes.Dimensions(zDim: 64, count: 10);
        var z = new float[64];

        var moved = axes.Move(z, 3, -1.5);

        Assert.Equal(10, axes.Count);
        Assert.Equal(-1.5f, moved[3]);
        Assert.Equal(63, moved.Count(value => value == 0));
        Assert.Equal("z4", axes.Names[3]);
        Assert.Equal("All 10 dimensions of z.", StyleAxes.Dimensions(10, 10).Description);
    }

    [Fact]
    public void AnSsvaeOnMnist_GetsPrincipalDirectionsOfEncodedTrainingStyles()
    {
        _ = TestData.MnistFolder; // fails with what to run when MNIST is missing
        var folder = Directory.CreateTempSubdirectory("webgen-axes-").FullName;
        try
        {
            manual_seed(4);
            using var ssvae = new Ssvae();
            using var model = StyleModel.Open(Checkpoint.Save(ssvae, TrainingOptions.For(ModelKind.Ssvae), folder, step: 1), ModelKind.Ssvae);

            var axes = model.Axes(Path.GetDirectoryName(TestData.MnistFolder)!, sliders: 10, perDigit: 20);

            Assert.Equal(10, axes.Count);
            Assert.Contains("200 MNIST training images", axes.Description);
            Assert.Equal(64, axes.Origin.Length);
            // The origin is the mean of the encoded styles, which the model computes for the same images.
            using var images = TestData.Train.Images.index_select(0, tensor(Compute.Data.Subsets.FirstOfEachDigit(TestData.Train.Labels, 20)));
            using var noGrad = no_grad();
            using var styles = cat([.. Enumerable.Range(0, 10).Select(d => ssvae.EncodeStyle(images.narrow(0, 20 * d, 20), d))], 0);
            Assert.Equal(styles.mean([0]).data<float>().ToArray(), axes.Origin, (a, b) => Math.Abs(a - b) < 1e-5);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void InkOnPaper_BecomesAnMnistLikeDigit_WhiteOnBlackInTheCentral20By20()
    {
        // A tall black bar on white, 100 × 200: it fits 10 × 20 after scaling, centred in 28 × 28.
        var picture = InkOnPaper(100, 200, new SKRect(25, 0, 75, 200));

        var pixels = ImageInput.Read(picture, channels: 1, height: 28, width: 28);

        Assert.Equal(784, pixels.Length);
        float At(int row, int col) => pixels[(row * 28) + col];
        Assert.Equal(1, At(14, 14), 0.05); // ink became white
        Assert.Equal(0, At(0, 0), 0.01); // the margin is black, as in MNIST
        Assert.Equal(0, At(14, 10), 0.05); // paper within the box became black
        Assert.Equal(0, At(2, 14), 0.01); // above the 20-pixel box
        Assert.Equal(1, At(5, 14), 0.05); // inside it
    }

    [Fact]
    public void ColourPictures_AreScaledToTheFrame_ChannelFirst()
    {
        var picture = InkOnPaper(64, 64, new SKRect(0, 0, 0, 0), paper: new SKColor(255, 0, 0));

        var pixels = ImageInput.Read(picture, channels: 3, height: 32, width: 32);

        Assert.Equal(3072, pixels.Length);
        Assert.All(pixels[..1024], red => Assert.Equal(1, red, 0.01));
        Assert.All(pixels[1024..], other => Assert.Equal(0, other, 0.01));
    }

    [Fact]
    public void ThingsThatAreNotPictures_AreRefusedSayingWhatIsAccepted()
    {
        var notAPicture = Assert.Throws<InvalidDataException>(() => ImageInput.Read("%PDF-1.4 not an image"u8.ToArray(), 1, 28, 28));
        Assert.Contains("PNG, JPEG, GIF, BMP and WebP are accepted", notAPicture.Message);
        var tooLarge = Assert.Throws<InvalidDataException>(() => ImageInput.Read(new byte[ImageInput.MaxBytes + 1], 1, 28, 28));
        Assert.Contains("pictures up to 5.0 MB are accepted", tooLarge.Message);
    }
}
