using WebGen.Compute.Models;
using static TorchSharp.torch;

namespace WebGen.Compute.Images;

/// <summary>A model's 10×20 sample grid in its own image shape: the picture every run, evaluation and review shows.</summary>
public static class ModelGrid
{
    public const string FileName = "samples.png";

    /// <summary>The grid as PNG bytes, drawn without gradients.</summary>
    public static byte[] Png(GenerativeModel model)
    {
        var (channels, height, width) = model.ImageShape;
        using (no_grad())
        using (var samples = model.SampleGrid())
            return SampleGrid.RenderPng(samples, rows: 10, cols: 20, height, width, channels);
    }

    /// <summary>The grid written as <see cref="FileName"/> in the run folder; returns its path.</summary>
    public static string Write(GenerativeModel model, string runDir)
    {
        var grid = Path.Combine(runDir, FileName);
        File.WriteAllBytes(grid, Png(model));
        return grid;
    }
}
