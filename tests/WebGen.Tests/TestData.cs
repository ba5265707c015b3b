using TorchSharp;
using WebGen.Compute.Data;

namespace WebGen.Tests;

/// <summary>Locates the repository and the MNIST files that <c>./webgen test</c> fetches before running tests.</summary>
public static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string MnistFolder
    {
        get
        {
            var data = Environment.GetEnvironmentVariable("WEBGEN_DATA") is { Length: > 0 } custom ? custom : Path.Combine(RepoRoot, "data");
            var folder = Path.Combine(data, "mnist");
            return File.Exists(Path.Combine(folder, Mnist.FileNames[0])) ? folder
                : throw new InvalidOperationException($"MNIST is not in {folder}; `./webgen test` fetches it (or `./webgen setup`).");
        }
    }

    private static readonly Lazy<MnistSplit> TestSplit = new(() => Mnist.LoadTest(MnistFolder, torch.CPU));
    private static readonly Lazy<MnistSplit> TrainSplit = new(() => Mnist.LoadTrain(MnistFolder, torch.CPU));

    public static MnistSplit Test => TestSplit.Value;
    public static MnistSplit Train => TrainSplit.Value;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "WebGen.sln"))) return dir.FullName;
        throw new InvalidOperationException("WebGen.sln not found above the test binaries.");
    }
}
