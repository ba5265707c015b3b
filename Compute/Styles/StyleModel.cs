using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Images;
using WebGen.Compute.Training;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Styles;

/// <summary>A test image the style explorer offers: "take the style of this image".</summary>
public sealed record StyleExample(int Digit, float[] Pixels, byte[] Png);

/// <summary>
/// A trained label-conditioned model (SSVAE on MNIST, FSVAE on SVHN) opened for the style explorer: redraws of the ten
/// digits for one z, and the style of an image. Redraws run on the CPU, one at a time per model.
/// </summary>
public sealed class StyleModel : IDisposable
{
    private readonly GenerativeModel model;
    private readonly ILabelConditionedModel conditioned;
    private readonly Lock gate = new();

    private StyleModel(GenerativeModel model, TrainingOptions options)
    {
        if (model is not ILabelConditionedModel labelConditioned)
        {
            model.Dispose();
            throw new ArgumentException($"a {options.Model} has no label-conditioned decoder; the style explorer takes an SSVAE or an FSVAE.");
        }
        (this.model, conditioned, Options) = (model, labelConditioned, options);
        model.eval();
    }

    public TrainingOptions Options { get; }

    public int ZDim => (int)conditioned.ZDim;

    /// <summary>Loads a checkpoint of <paramref name="kind"/> written by a training run; errors name what is wrong with it.</summary>
    public static StyleModel Open(string checkpoint, ModelKind kind)
    {
        var loaded = ModelCheckpoint.Load(checkpoint, kind, CPU);
        return new StyleModel(loaded.Model, loaded.Options);
    }

    /// <summary>The ten digits written in style z, side by side, as a PNG.</summary>
    public byte[] Draw(ReadOnlySpan<float> z)
    {
        lock (gate)
            return conditioned.DrawDigitsPng(z);
    }

    /// <summary>The style (mean of q(z | x, y)) of an image showing <paramref name="digit"/>.</summary>
    public float[] StyleOf(ReadOnlySpan<float> pixels, int digit)
    {
        lock (gate)
            return conditioned.FindStyle(pixels, digit);
    }

    /// <summary>The style of an uploaded picture showing <paramref name="digit"/>, and the picture as the model reads it (PNG).</summary>
    public (float[] Style, byte[] Seen) StyleOfPicture(byte[] file, int digit)
    {
        var (channels, height, width) = conditioned.ImageShape;
        var pixels = ImageInput.Read(file, channels, height, width);
        using var scope = NewDisposeScope();
        var seen = SampleGrid.RenderPng(tensor(pixels).unsqueeze(0), rows: 1, cols: 1, height, width, channels, scale: 2);
        return (StyleOf(pixels, digit), seen);
    }

    /// <summary>
    /// The first test image of each digit from the model's data set (MNIST test for the SSVAE, SVHN test for the FSVAE),
    /// or none when that split is not in <paramref name="dataFolder"/>.
    /// </summary>
    public IReadOnlyList<StyleExample> Examples(string dataFolder)
    {
        using var scope = NewDisposeScope();
        var (channels, height, width) = conditioned.ImageShape;
        if (DataSet.For(Options.Model).TestImages(dataFolder, perDigit: 1) is not { } examples)
            return [];
        return [.. Enumerable.Range(0, (int)examples.Images.shape[0]).Select(i =>
        {
            var image = examples.Images[i];
            return new StyleExample((int)examples.Labels[i], image.data<float>().ToArray(),
                SampleGrid.RenderPng(image.unsqueeze(0), rows: 1, cols: 1, height, width, channels, scale: 2));
        })];
    }

    /// <summary>
    /// The explorer's sliders: every dimension of a small z; for a larger one (the SSVAE's 64) the top principal
    /// directions of the styles q(z | x, y) gives <paramref name="perDigit"/> images of each digit of the data set —
    /// MNIST training images, or SVHN test images (the training splits are large) — else its first dimensions.
    /// </summary>
    public StyleAxes Axes(string dataFolder, int sliders = 10, int perDigit = 200)
    {
        using var scope = NewDisposeScope();
        if (ZDim <= sliders || DataSet.For(Options.Model).StyleImages(dataFolder, perDigit) is not { } source)
            return StyleAxes.Dimensions(ZDim, sliders);
        var styles = EncodedStyles(source.Images, source.Labels);
        return StyleAxes.Principal(styles, sliders, $"the styles of {styles.shape[0]:N0} {source.Source}");
    }

    /// <summary>The means of q(z | x, y) of the images, (n, z_dim) on the CPU.</summary>
    private Tensor EncodedStyles(Tensor images, long[] labels)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var styles = Enumerable.Range(0, LabelConditioned.Digits)
            .Select(d => (Digit: d, Rows: Enumerable.Range(0, labels.Length).Where(i => labels[i] == d).Select(i => (long)i).ToArray()))
            .Where(g => g.Rows.Length > 0)
            .Select(g =>
            {
                lock (gate)
                    return conditioned.EncodeStyle(images.index_select(0, tensor(g.Rows)), g.Digit).cpu();
            })
            .ToList();
        return cat(styles, 0).MoveToOuterDisposeScope();
    }

    public void Dispose() => model.Dispose();
}
