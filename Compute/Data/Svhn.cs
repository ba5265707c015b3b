using TorchSharp;
using WebGen.Compute.Models;
using static TorchSharp.torch;

namespace WebGen.Compute.Data;

/// <summary>
/// One SVHN split. Pixels stay bytes, (count, 3072) uint8 on the CPU, channel-first (channel, row, column) as the
/// reference flattens them: the extra split is 1.6 GB as bytes and would be 6.5 GB as floats. Labels are digits
/// 0–9 (the file's 10 is digit 0).
/// </summary>
public sealed class SvhnSplit(Tensor pixels, long[] labels) : IDisposable
{
    public Tensor Pixels { get; } = pixels;
    public long[] Labels { get; } = labels;
    public int Count => Labels.Length;

    /// <summary>The given rows as the models see them: (rows, 3072) float byte/255 in [0, 1].</summary>
    public Tensor Images(long[] rows)
    {
        // Held until the call returns: an unreferenced index could be finalized while libtorch reads it.
        using var index = tensor(rows);
        return Pixels.index_select(0, index).to(ScalarType.Float32).div_(OwnedScalars.ByteScale);
    }

    /// <summary>The labels one-hot: (count, 10) float.</summary>
    public Tensor OneHotLabels() => nn.functional.one_hot(tensor(Labels), 10).to(ScalarType.Float32);

    /// <summary>Rows of the first <paramref name="perDigit"/> images of each digit in file order, digit by digit.</summary>
    public long[] FirstOfEachDigit(int perDigit) => Subsets.FirstOfEachDigit(Labels, perDigit);

    public void Dispose() => Pixels.Dispose();
}

/// <summary>
/// The Street View House Numbers, cropped digits (http://ufldl.stanford.edu/housenumbers/): MATLAB 5 files with
/// <c>X</c> uint8 32×32×3×N and <c>y</c> N×1, labels 1–10 where 10 is digit 0.
/// </summary>
public static class Svhn
{
    public const int Side = 32;
    public const int Channels = 3;
    public const int Pixels = Channels * Side * Side;
    public const string Url = "http://ufldl.stanford.edu/housenumbers/";

    /// <summary>The published files: image count and MD5 (protocol.md).</summary>
    public static readonly IReadOnlyDictionary<string, (int Count, string Md5)> Official = new Dictionary<string, (int, string)>
    {
        ["train_32x32.mat"] = (73_257, "e26dedcc434d2e4c54c9b2d4a06d8373"),
        ["test_32x32.mat"] = (26_032, "eb5a983be6a315427106f1b164d9cef3"),
        ["extra_32x32.mat"] = (531_131, "a93ce644f1a588dc4d68dda5feec44a7"),
    };

    public const string TrainFile = "train_32x32.mat";
    public const string TestFile = "test_32x32.mat";
    public const string ExtraFile = "extra_32x32.mat";

    /// <summary>The command that imports a published file.</summary>
    public static string ImportCommand(string file) => $"./webgen data svhn --from {Url}{file}";

    /// <summary>The split FSVAE trains on: extra (as the reference does) if present, else train.</summary>
    public static string TrainingFile(string folder)
    {
        foreach (var file in new[] { ExtraFile, TrainFile })
            if (File.Exists(Path.Combine(folder, file)))
                return Path.Combine(folder, file);
        throw new FileNotFoundException(
            $"{folder} has neither {ExtraFile} nor {TrainFile} (SVHN, {Url}); import one with " +
            $"`{ImportCommand(ExtraFile)}` (the reference trains on extra) or `{ImportCommand(TrainFile)}`.",
            Path.Combine(folder, ExtraFile));
    }

    /// <summary>Reads a split; every way the file can differ from SVHN's layout is an error naming the file.</summary>
    public static SvhnSplit Load(string path)
    {
        Tensor? pixels = null;
        double[]? y = null;
        var names = new List<string>();
        try
        {
            foreach (var variable in MatFile.Variables(path))
            {
                names.Add(variable.Name);
                if (variable.Name == "X") pixels = ReadImages(path, variable);
                else if (variable.Name == "y") y = ReadLabels(path, variable);
            }
            var found = names.Count == 0 ? "no variables" : $"variables {string.Join(", ", names)}";
            if (pixels is null)
                throw new InvalidDataFileException($"{path} has no variable X (the images, uint8 32×32×3×N); it holds {found}.");
            if (y is null)
                throw new InvalidDataFileException($"{path} has no variable y (the labels, N×1); it holds {found}.");
            if (y.Length != pixels.shape[0])
                throw new InvalidDataFileException($"{path} holds {pixels.shape[0]} images but {y.Length} labels.");
            return new SvhnSplit(pixels, [.. y.Select(label => (long)label % 10)]);
        }
        catch
        {
            pixels?.Dispose();
            throw;
        }
    }

    // MATLAB's column-major 32×32×3×N is, read front to back, N × channel × column × row: each image is transposed
    // to channel × row × column. A chunk of images at a time keeps the extra split's memory at its bytes.
    private static Tensor ReadImages(string path, MatVariable x)
    {
        var dims = x.Dimensions;
        var count = dims.Count == 4 ? dims[3] : 1; // MATLAB drops the trailing 1 of a single image
        if (dims.Count is not (3 or 4) || dims[0] != Side || dims[1] != Side || dims[2] != Channels)
            throw new InvalidDataFileException($"{path}: X is {string.Join("×", dims)}; SVHN images are 32×32×3×N.");
        if (x.Class != MatClass.UInt8)
            throw new InvalidDataFileException($"{path}: X is a {x.Class.ToString().ToLowerInvariant()} array; SVHN images are uint8.");
        const int chunk = 1024;
        var pixels = empty(count, Pixels, dtype: ScalarType.Byte);
        var buffer = new byte[chunk * Pixels];
        for (var done = 0; done < count; done += chunk)
        {
            var n = Math.Min(chunk, count - done);
            if (n < chunk) buffer = new byte[n * Pixels];
            x.ReadBytes(buffer);
            using var scope = NewDisposeScope();
            var stored = tensor(buffer, [n, Channels, Side, Side]); // (image, channel, column, row)
            pixels.narrow(0, done, n).view(n, Channels, Side, Side).copy_(stored.transpose(2, 3));
        }
        return pixels;
    }

    private static double[] ReadLabels(string path, MatVariable y)
    {
        if (y.Dimensions.Count != 2 || Math.Min(y.Dimensions[0], y.Dimensions[1]) != 1)
            throw new InvalidDataFileException($"{path}: y is {string.Join("×", y.Dimensions)}; SVHN labels are N×1.");
        if (y.Class is < MatClass.Double or > MatClass.UInt64)
            throw new InvalidDataFileException($"{path}: y is a {y.Class.ToString().ToLowerInvariant()} array; SVHN labels are numbers.");
        var labels = y.ReadNumbers();
        var bad = Array.FindIndex(labels, l => l is < 1 or > 10 || l != Math.Floor(l));
        return bad < 0 ? labels
            : throw new InvalidDataFileException($"{path}: label {labels[bad]} (image {bad}) is outside 1–10 (10 is digit 0).");
    }
}
