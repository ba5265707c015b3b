using TorchSharp;
using WebGen.Compute.Models;
using static TorchSharp.torch;

namespace WebGen.Compute.Data;

/// <summary>One MNIST split: grey levels byte/255 in [0, 1] as a (count, 784) float tensor, and labels 0–9.</summary>
public sealed class MnistSplit(Tensor images, long[] labels) : IDisposable
{
    public Tensor Images { get; } = images;
    public long[] Labels { get; } = labels;
    /// <summary>The labels as a (count) int64 tensor on the images' device.</summary>
    public Tensor LabelTensor { get; } = tensor(labels, device: images.device);
    public int Count => Labels.Length;

    /// <summary>The labels one-hot: (count, 10) float.</summary>
    public Tensor OneHotLabels() => nn.functional.one_hot(LabelTensor, 10).to(Images.dtype);

    /// <summary>Rows of the images with the given label, taken at positions (in file order among that label).</summary>
    public Tensor SelectByLabel(IReadOnlyList<int[]> positionsPerDigit)
    {
        var indices = new List<long>();
        for (var digit = 0; digit < positionsPerDigit.Count; digit++)
        {
            var ofDigit = Enumerable.Range(0, Count).Where(i => Labels[i] == digit).ToArray();
            indices.AddRange(positionsPerDigit[digit].Select(p => (long)ofDigit[p]));
        }
        return Images.index_select(0, tensor(indices.ToArray(), device: Images.device));
    }

    public void Dispose()
    {
        Images.Dispose();
        LabelTensor.Dispose();
    }
}

/// <summary>Loads the four IDX files from a folder (raw or .gz) and checks they are the MNIST we expect.</summary>
public static class Mnist
{
    public const int TrainCount = 60_000;
    public const int TestCount = 10_000;
    public const int Pixels = 784;

    public static readonly string[] FileNames = [.. MnistFiles.All.Select(f => f.Name)];

    public static MnistSplit LoadTrain(string folder, Device device) =>
        Load(folder, FileNames[0], FileNames[1], TrainCount, device);

    public static MnistSplit LoadTest(string folder, Device device) =>
        Load(folder, FileNames[2], FileNames[3], TestCount, device);

    /// <summary>Reads an image/label pair; also used for other IDX data sets of 28×28 images.</summary>
    public static MnistSplit Load(string folder, string imagesFile, string labelsFile, int? expectedCount, Device device)
    {
        var imagesPath = Existing(Path.Combine(folder, imagesFile));
        var labelsPath = Existing(Path.Combine(folder, labelsFile));
        var (pixels, count, rows, cols) = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (rows * cols != Pixels)
            throw new InvalidDataFileException($"{imagesPath}: images are {rows}×{cols}; MNIST images are 28×28.");
        if (labels.Length != count)
            throw new InvalidDataFileException($"{imagesPath} holds {count} images but {labelsPath} holds {labels.Length} labels.");
        if (expectedCount is { } expected && count != expected)
            throw new InvalidDataFileException($"{imagesPath} holds {count} images; this MNIST split has {expected}.");
        if (labels.FirstOrDefault(l => l > 9) is var bad && bad > 9)
            throw new InvalidDataFileException($"{labelsPath}: label {bad} is outside 0–9.");

        Tensor images;
        using (NewDisposeScope())
            images = tensor(pixels, dtype: ScalarType.Byte).reshape(count, Pixels).to(device).to(ScalarType.Float32).div_(OwnedScalars.ByteScale)
                .MoveToOuterDisposeScope();
        return new MnistSplit(images, [.. labels.Select(l => (long)l)]);
    }

    // IDX files are accepted raw or gzipped.
    private static string Existing(string path) => File.Exists(path) || !File.Exists(path + ".gz") ? path : path + ".gz";
}
