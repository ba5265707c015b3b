using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Data;
using WebGen.Compute.Images;
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

    /// <summary>Loads a checkpoint written by a training run; errors name what is wrong with it.</summary>
    public static StyleModel Open(string checkpoint)
    {
        var (model, options) = Checkpoint.Load(checkpoint, CPU);
        return new StyleModel(model, options);
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

    /// <summary>
    /// The first test image of each digit from the model's data set (MNIST test for the SSVAE, SVHN test for the FSVAE),
    /// or none when that split is not in <paramref name="dataFolder"/>.
    /// </summary>
    public IReadOnlyList<StyleExample> Examples(string dataFolder)
    {
        using var scope = NewDisposeScope();
        var (channels, height, width) = conditioned.ImageShape;
        Tensor images;
        long[] labels;
        if (Options.Model == ModelKind.Fsvae)
        {
            var testFile = Path.Combine(dataFolder, "svhn", Svhn.TestFile);
            if (!File.Exists(testFile)) return [];
            using var test = Svhn.Load(testFile);
            var rows = test.FirstOfEachDigit(1);
            (images, labels) = (test.Images(rows), [.. rows.Select(r => test.Labels[r])]);
        }
        else
        {
            var mnist = Path.Combine(dataFolder, "mnist");
            if (!File.Exists(Path.Combine(mnist, Mnist.FileNames[2]))) return [];
            using var test = Mnist.LoadTest(mnist, CPU);
            var rows = Enumerable.Range(0, LabelConditioned.Digits).Select(d => (long)Array.IndexOf(test.Labels, d)).ToArray();
            (images, labels) = (test.Images.index_select(0, tensor(rows)), [.. rows.Select(r => test.Labels[r])]);
        }
        return [.. Enumerable.Range(0, (int)images.shape[0]).Select(i =>
        {
            var image = images[i];
            return new StyleExample((int)labels[i], image.data<float>().ToArray(),
                SampleGrid.RenderPng(image.unsqueeze(0), rows: 1, cols: 1, height, width, channels, scale: 2));
        })];
    }

    public void Dispose() => model.Dispose();
}
