using TorchSharp;
using WebGen.Compute.Data;

namespace WebGen.Tests;

/// <summary>
/// SVHN's MATLAB files: the scipy-written fixtures (Fixtures/svhn/make_fixtures.py) and files written here with
/// <see cref="MatWriter"/>, including every broken variant the reader must name.
/// </summary>
public sealed class SvhnTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-svhn-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static string Fixture(string name) => Path.Combine(TestData.RepoRoot, "tests", "WebGen.Tests", "Fixtures", "svhn", name);

    /// <summary>make_fixtures.py's labels 10, 1, …, 9, 10, 3 as digits.</summary>
    private static readonly long[] FixtureDigits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 3];

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string LoadError(string path) => Assert.Throws<InvalidDataFileException>(() => Svhn.Load(path)).Message;

    [Theory]
    [InlineData("plain.mat")]
    [InlineData("compressed.mat")]
    public void Fixture_HasTwelveImagesOf3072BytesAndLabel10IsDigit0(string name)
    {
        using var split = Svhn.Load(Fixture(name));
        Assert.Equal([12L, 3072L], split.Pixels.shape);
        Assert.Equal(torch.ScalarType.Byte, split.Pixels.dtype);
        Assert.Equal(FixtureDigits, split.Labels);
    }

    [Fact]
    public void Fixture_PixelsAreChannelThenRowThenColumn()
    {
        using var split = Svhn.Load(Fixture("compressed.mat"));
        var pixels = split.Pixels.data<byte>().ToArray();
        for (var n = 0; n < 12; n++)
            for (var channel = 0; channel < 3; channel++)
                for (var row = 0; row < 32; row++)
                    for (var col = 0; col < 32; col++)
                        Assert.Equal((3 * row + 5 * col + 50 * channel + 11 * n) % 256, pixels[n * 3072 + channel * 1024 + row * 32 + col]);
    }

    [Fact]
    public void CompressedAndPlainFixtures_GiveIdenticalData()
    {
        using var plain = Svhn.Load(Fixture("plain.mat"));
        using var compressed = Svhn.Load(Fixture("compressed.mat"));
        Assert.True(plain.Pixels.eq(compressed.Pixels).all().item<bool>());
        Assert.Equal(plain.Labels, compressed.Labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PixelAtMatlabRowColumnChannel_LandsAtItsChannelFirstIndex(bool compress)
    {
        // MATLAB's X(row, col, channel, image) is byte row + 32·col + 1024·channel + 3072·image (0-based).
        var x = new byte[2 * 3072];
        x[1 + 32 * 2 + 1024 * 2 + 3072 * 1] = 200; // row 1, column 2, channel 2 (blue), image 1
        using var split = Svhn.Load(Write("one.mat", MatWriter.Svhn(x, [1, 2], compress)));
        Assert.Equal(200, split.Pixels[1, 2 * 1024 + 1 * 32 + 2].item<byte>());
        Assert.Equal(200, split.Pixels.to(torch.ScalarType.Int64).sum().item<long>());
    }

    [Fact]
    public void Images_AreBytesOver255()
    {
        var x = Enumerable.Range(0, 3072).Select(i => (byte)(i % 256)).ToArray();
        using var split = Svhn.Load(Write("ramp.mat", MatWriter.Svhn(x, [4], compress: false)));
        using var images = split.Images([0]);
        Assert.Equal([1L, 3072L], images.shape);
        Assert.Equal(163 / 255f, images[0, 3 * 32 + 5].item<float>()); // row 3, column 5 is MATLAB byte 3 + 32·5 = 163
    }

    [Fact]
    public void ForeignFile_IsNotAMatlab5File()
    {
        var path = Write("photo.png", [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 7))]);
        var message = LoadError(path);
        Assert.StartsWith(path, message);
        Assert.Contains("not a MATLAB 5 MAT-file", message);
        Assert.Contains("accepted: MATLAB 5 MAT-files", message);
    }

    [Fact]
    public void ShortFile_IsTooShortForAHeader() =>
        Assert.Contains("too short for a MAT-file header", LoadError(Write("short.mat", [1, 2, 3])));

    [Fact]
    public void Matlab73File_IsNamedAsHdf5() =>
        Assert.Contains("MATLAB 7.3", LoadError(Write("v73.mat", MatWriter.File([], compress: false, version: 0x0200))));

    [Fact]
    public void BigEndianFile_IsRefused() =>
        Assert.Contains("big-endian", LoadError(Write("be.mat", MatWriter.File([], compress: false, version: 0x0001, endian: "MI"))));

    [Theory]
    [InlineData("plain.mat")]
    [InlineData("compressed.mat")]
    public void TruncatedFile_IsReported(string name)
    {
        var bytes = File.ReadAllBytes(Fixture(name));
        Assert.Contains("truncated", LoadError(Write(name, bytes[..(bytes.Length / 2)])));
    }

    [Fact]
    public void CorruptCompressedData_IsReported()
    {
        var bytes = MatWriter.Svhn(new byte[3072], [1], compress: true);
        bytes[128 + 8] ^= 0xFF; // the zlib header of the first compressed element
        Assert.Contains("compressed data is corrupt", LoadError(Write("corrupt.mat", bytes)));
    }

    [Fact]
    public void MissingLabels_AreNamed()
    {
        var path = Write("nolabels.mat", MatWriter.File([MatWriter.UInt8("X", [32, 32, 3, 1], new byte[3072])], compress: true));
        Assert.Contains("has no variable y (the labels, N×1); it holds variables X", LoadError(path));
    }

    [Fact]
    public void MissingImages_AreNamed()
    {
        var path = Write("noimages.mat", MatWriter.File([MatWriter.Doubles("labels", [1, 1], [3])], compress: false));
        Assert.Contains("has no variable X (the images, uint8 32×32×3×N); it holds variables labels", LoadError(path));
    }

    [Fact]
    public void GreyImages_AreTheWrongShape()
    {
        var path = Write("grey.mat", MatWriter.File(
            [MatWriter.UInt8("X", [32, 32, 1, 2], new byte[2048]), MatWriter.Doubles("y", [2, 1], [1, 2])], compress: false));
        Assert.Contains("X is 32×32×1×2; SVHN images are 32×32×3×N", LoadError(path));
    }

    [Fact]
    public void DoubleImages_AreTheWrongClass()
    {
        var path = Write("double.mat", MatWriter.File(
            [MatWriter.Doubles("X", [32, 32, 3], new double[3072]), MatWriter.Doubles("y", [1, 1], [1])], compress: true));
        Assert.Contains("X is a double array; SVHN images are uint8", LoadError(path));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(0)]
    [InlineData(2.5)]
    public void LabelOutside1To10_IsReported(double label)
    {
        var message = LoadError(Write("label.mat", MatWriter.Svhn(new byte[2 * 3072], [1, label], compress: false)));
        Assert.Contains($"label {label} (image 1) is outside 1–10", message);
    }

    [Fact]
    public void MismatchedCounts_AreReported()
    {
        var path = Write("counts.mat", MatWriter.File(
            [MatWriter.UInt8("X", [32, 32, 3, 2], new byte[2 * 3072]), MatWriter.Doubles("y", [3, 1], [1, 2, 3])], compress: true));
        Assert.Contains("holds 2 images but 3 labels", LoadError(path));
    }

    [Fact]
    public void MissingFile_SaysSo() =>
        Assert.Throws<FileNotFoundException>(() => Svhn.Load(Path.Combine(folder, "absent.mat")));

    [Fact]
    public void TrainingFile_PrefersExtraThenTrain_AndNamesTheImportCommandsWhenNeither()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Svhn.TrainingFile(folder));
        Assert.Contains("neither extra_32x32.mat nor train_32x32.mat", error.Message);
        Assert.Contains("./webgen data svhn --from http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", error.Message);

        File.Copy(Fixture("plain.mat"), Path.Combine(folder, Svhn.TrainFile));
        Assert.Equal(Path.Combine(folder, Svhn.TrainFile), Svhn.TrainingFile(folder));
        File.Copy(Fixture("plain.mat"), Path.Combine(folder, Svhn.ExtraFile));
        Assert.Equal(Path.Combine(folder, Svhn.ExtraFile), Svhn.TrainingFile(folder));
    }
}
