using System.Buffers.Binary;
using System.IO.Compression;
using TorchSharp;
using WebGen.Compute.Data;

namespace WebGen.Tests;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-idx-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static byte[] Idx(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private void WriteSplit(int images, int labels, byte label = 3)
    {
        var pixels = Enumerable.Range(0, images * 784).Select(i => (byte)(i % 256)).ToArray();
        Write("img", Idx(IdxReader.ImagesMagic, [images, 28, 28], pixels));
        Write("lbl", Idx(IdxReader.LabelsMagic, [labels], Enumerable.Repeat(label, labels).ToArray()));
    }

    [Fact]
    public void ReadsImagesAndLabelsScaledToUnitInterval()
    {
        WriteSplit(images: 2, labels: 2);
        using var split = Mnist.Load(folder, "img", "lbl", expectedCount: 2, torch.CPU);
        Assert.Equal([2L, 784L], split.Images.shape);
        Assert.Equal([3L, 3L], split.Labels);
        Assert.Equal(255 / 255f, split.Images[0, 255].item<float>());
        Assert.Equal(784 % 256 / 255f, split.Images[1, 0].item<float>(), 6); // image 1 starts at byte 784
    }

    [Fact]
    public void ReadsGzippedFiles()
    {
        var raw = Idx(IdxReader.LabelsMagic, [3], [1, 2, 3]);
        using (var gzip = new GZipStream(File.Create(Path.Combine(folder, "lbl.gz")), CompressionLevel.Fastest))
            gzip.Write(raw);
        Assert.Equal([1, 2, 3], IdxReader.ReadLabels(Path.Combine(folder, "lbl.gz")));
    }

    [Fact]
    public void WrongMagicNumber_IsNamedInTheError()
    {
        var path = Write("lbl", Idx(IdxReader.ImagesMagic, [1, 28, 28], new byte[784]));
        var error = Assert.Throws<InvalidDataFileException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("magic number 2051 is not 2049", error.Message);
    }

    [Fact]
    public void TruncatedFile_IsReported()
    {
        var bytes = Idx(IdxReader.ImagesMagic, [2, 28, 28], new byte[2 * 784]);
        var path = Write("img", bytes[..^100]);
        var error = Assert.Throws<InvalidDataFileException>(() => IdxReader.ReadImages(path));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void TooShortForAHeader_IsReported()
    {
        var path = Write("img", [0, 0, 8]);
        Assert.Contains("too short", Assert.Throws<InvalidDataFileException>(() => IdxReader.ReadImages(path)).Message);
    }

    [Fact]
    public void MismatchedImageAndLabelCounts_AreReported()
    {
        WriteSplit(images: 2, labels: 3);
        var error = Assert.Throws<InvalidDataFileException>(() => Mnist.Load(folder, "img", "lbl", null, torch.CPU));
        Assert.Contains("holds 2 images but", error.Message);
        Assert.Contains("3 labels", error.Message);
    }

    [Fact]
    public void LabelOutsideDigits_IsReported()
    {
        WriteSplit(images: 1, labels: 1, label: 12);
        Assert.Contains("label 12", Assert.Throws<InvalidDataFileException>(() => Mnist.Load(folder, "img", "lbl", null, torch.CPU)).Message);
    }

    [Fact]
    public void MissingFile_TellsHowToFetchMnist()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Mnist.LoadTrain(folder, torch.CPU));
        Assert.Contains("./webgen data mnist", error.Message);
    }
}
