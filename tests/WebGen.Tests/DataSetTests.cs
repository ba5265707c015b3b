using System.Text.RegularExpressions;
using TorchSharp;
using WebGen.Compute;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Data;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// The data-set seam: the model chooses its data set, which owns its folder, its evaluation and its test images;
/// and the product's layers keep to their own words around it.
/// </summary>
public sealed partial class DataSetTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("webgen-dataset-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData(ModelKind.Vae, "MNIST", "mnist")]
    [InlineData(ModelKind.Gmvae, "MNIST", "mnist")]
    [InlineData(ModelKind.Ssvae, "MNIST", "mnist")]
    [InlineData(ModelKind.Fsvae, "SVHN", "svhn")]
    public void For_PicksTheModelsDataSet_InItsOwnFolderOfTheDataRoot(ModelKind model, string name, string folder)
    {
        var dataSet = DataSet.For(model);
        Assert.Equal((name, Path.Combine(root, folder)), (dataSet.Name, dataSet.Folder(root)));
    }

    /// <summary>Three images of each digit, digits 0–9 in turn (SVHN writes digit 0 as label 10).</summary>
    private void WriteSvhnTestSplit()
    {
        var svhn = Directory.CreateDirectory(DataSet.Svhn.Folder(root)).FullName;
        var x = Enumerable.Range(0, 30 * Svhn.Pixels).Select(i => (byte)(i * 7 % 251)).ToArray();
        double[] y = [.. Enumerable.Range(0, 30).Select(i => (double)(i % 10 == 0 ? 10 : i % 10))];
        File.WriteAllBytes(Path.Combine(svhn, Svhn.TestFile), MatWriter.Svhn(x, y, compress: false));
    }

    [Fact]
    public void SvhnTestImages_AreTheFirstOfEachDigitInFileOrder()
    {
        WriteSvhnTestSplit();
        using var scope = NewDisposeScope();
        var images = DataSet.Svhn.TestImages(root, perDigit: 2)!;
        Assert.Equal([0L, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9], images.Labels);
        Assert.Equal([20L, Svhn.Pixels], images.Images.shape);
        Assert.Equal("SVHN test images", images.Source);
    }

    [Fact]
    public void SvhnEvaluation_GivesTheFsvaesBoundOnTheTestSubset()
    {
        WriteSvhnTestSplit();
        manual_seed(0);
        using var model = new Fsvae();
        var bound = DataSet.Svhn.Evaluate(model, root, CPU).LowerBound!;
        Assert.Equal(bound.Kl + bound.Rec, bound.Nelbo, 2);
        Assert.Empty(bound.Iwae);
    }

    [Fact]
    public void SvhnEvaluation_WithoutTheTestSplit_HasNoNumbers()
    {
        using var model = new Fsvae();
        Assert.Equal(new RunMetrics(null, null), DataSet.Svhn.Evaluate(model, root, CPU));
    }

    [Fact]
    public void MnistTestImages_WithoutMnist_AreNone()
    {
        Assert.Null(DataSet.Mnist.TestImages(root, perDigit: 1));
    }

    [Fact]
    public void FsvaeCheckpointWithItsRunJson_LoadsWithTheRunsSettings()
    {
        var options = TrainingOptions.For(ModelKind.Fsvae) with { ZDim = 3, Seed = 5 };
        using var saved = new Fsvae(zDim: 3);
        var path = Checkpoint.Save(saved, options, root, step: 1);

        using var loaded = ModelCheckpoint.Load(path, ModelKind.Fsvae, CPU);
        Assert.Equal((options, CheckpointFormat.WebGen), (loaded.Options, loaded.Format));
        Assert.True(saved.parameters().Zip(loaded.Model.parameters()).All(p => p.First.allclose(p.Second)));
    }

    [Fact]
    public void FsvaeCheckpointWithoutItsRunJson_IsRefusedNamingWhatItNeeds()
    {
        using var saved = new Fsvae();
        var path = Checkpoint.Save(saved, TrainingOptions.For(ModelKind.Fsvae), root, step: 1);
        File.Delete(Checkpoint.OptionsPath(path));

        var error = Assert.ThrowsAny<InvalidCheckpointException>(() => ModelCheckpoint.Load(path, ModelKind.Fsvae, CPU));
        Assert.Equal($"{path}: an FSVAE is read from a WebGen checkpoint with its run.json beside it; " +
                     "a checkpoint alone is read for VAE, GMVAE, SSVAE.", error.Message);
    }

    [Fact]
    public void UnknownDevice_IsRefusedNamingTheAcceptedOnes_WithoutAFlag()
    {
        var error = Assert.Throws<ArgumentException>(() => Devices.Resolve("tpu"));
        Assert.Equal("unknown device 'tpu'; accepted: auto, cpu, cuda.", error.Message);
    }

    private static IEnumerable<(string File, int Line, string Text)> ProductLines(params string[] folders) =>
        from folder in folders
        from file in Directory.EnumerateFiles(Path.Combine(TestData.RepoRoot, folder), "*.*", SearchOption.AllDirectories)
        where file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".razor", StringComparison.Ordinal)
        let relative = Path.GetRelativePath(TestData.RepoRoot, file)
        where !relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")
        from numbered in File.ReadLines(file).Select((text, index) => (Text: text, Line: index + 1))
        select (relative, numbered.Line, numbered.Text);

    [GeneratedRegex("Path\\.Combine\\(.*\"(mnist|svhn)\"")]
    private static partial Regex DataFolderPath();

    [Fact]
    public void ProductCode_BuildsNoDataFolderPathOutsideTheSeam()
    {
        var found = ProductLines("Compute", "Cli", "WebApp", "Shared").Where(l => DataFolderPath().IsMatch(l.Text));
        Assert.Empty(found.Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}"));
    }

    [Fact]
    public void DataFolderNames_AreWrittenOnceInProductCode_EachInItsDataSet()
    {
        var found = ProductLines("Compute", "Cli", "WebApp", "Shared").Where(l => l.Text.Contains("\"mnist\"") || l.Text.Contains("\"svhn\""));
        Assert.Equal([Path.Combine("Compute", "Training", "MnistDataSet.cs"), Path.Combine("Compute", "Training", "SvhnDataSet.cs")],
            found.Select(l => l.File).Order());
    }

    [GeneratedRegex("\\$?\"--[a-z]")]
    private static partial Regex FlagLiteral();

    [Fact]
    public void Compute_SpeaksNoCommandLineFlag()
    {
        var found = ProductLines("Compute").Where(l => FlagLiteral().IsMatch(l.Text));
        Assert.Empty(found.Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}"));
    }
}
