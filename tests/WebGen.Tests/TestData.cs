using TorchSharp;
using WebGen.Compute.Data;
using WebGen.Compute.Training;

namespace WebGen.Tests;

/// <summary>Locates the repository and the MNIST files that <c>./webgen test</c> fetches before running tests.</summary>
public static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The folder holding every data set: WEBGEN_DATA, else the repository's data/.</summary>
    public static string DataRoot { get; } =
        Environment.GetEnvironmentVariable("WEBGEN_DATA") is { Length: > 0 } custom ? custom : Path.Combine(RepoRoot, "data");

    public static string MnistFolder
    {
        get
        {
            var folder = DataSet.Mnist.Folder(DataRoot);
            return File.Exists(Path.Combine(folder, Mnist.FileNames[0])) ? folder
                : throw new InvalidOperationException($"MNIST is not in {folder}; `./webgen test` fetches it (or `./webgen setup`).");
        }
    }

    private static readonly Lazy<MnistSplit> TestSplit = new(() => Mnist.LoadTest(MnistFolder, torch.CPU));
    private static readonly Lazy<MnistSplit> TrainSplit = new(() => Mnist.LoadTrain(MnistFolder, torch.CPU));

    public static MnistSplit Test => TestSplit.Value;
    public static MnistSplit Train => TrainSplit.Value;

    /// <summary>The first <paramref name="count"/> images of the protocol's test subset, binarised as the protocol does.</summary>
    public static torch.Tensor BinarisedTestSubset(int count = 100)
    {
        using var subset = Test.SelectByLabel(Subsets.TestIdx);
        torch.manual_seed(0);
        return torch.bernoulli(subset.narrow(0, 0, count));
    }

    /// <summary>
    /// n draws of a scalar estimate, each in its own dispose scope: native tensors are freed at once instead of
    /// waiting for the garbage collector, which does not see their memory.
    /// </summary>
    public static double[] Draws(int n, Func<torch.Tensor> estimate) =>
        [.. Enumerable.Range(0, n).Select(_ =>
        {
            using var scope = torch.NewDisposeScope();
            return estimate().to(torch.ScalarType.Float64).item<double>();
        })];

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "WebGen.sln"))) return dir.FullName;
        throw new InvalidOperationException("WebGen.sln not found above the test binaries.");
    }
}
