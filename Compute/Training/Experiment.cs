using System.Diagnostics;
using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Data;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Images;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Training;

/// <summary>What one run produced: the protocol's numbers, its pace and where its files are.</summary>
public sealed record RunResult(
    TrainingOptions Options, EvaluationResult Evaluation, double Seconds, double MsPerStep, string Checkpoint, string Grid);

/// <summary>
/// One run end to end, as <c>run_vae.py</c> does it: load MNIST, train, evaluate with the protocol, write the grid.
/// Shared by the command line and the web app.
/// </summary>
public static class Experiment
{
    public const string GridFile = "samples.png";

    public static RunResult TrainAndEvaluate(
        TrainingOptions options, string dataDir, string outDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var device = Devices.Resolve(options.Device);
        var runDir = Path.Combine(outDir, ModelFactory.RunName(options));
        manual_seed(options.Seed);

        using var train = Mnist.LoadTrain(dataDir, device);
        using var model = ModelFactory.Create(options);
        model.to(device);
        var clock = Stopwatch.StartNew();
        var checkpoint = Trainer.Train(model, train.Images, options, runDir, progress, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;

        var (evaluation, grid) = EvaluateAndDraw(model, dataDir, runDir, device, cancellationToken);
        return new RunResult(options, evaluation, seconds, 1000 * seconds / options.Iterations, checkpoint, grid);
    }

    /// <summary>The protocol evaluation of a saved checkpoint (<c>run_vae.py --train 0</c>), and its grid.</summary>
    public static RunResult EvaluateCheckpoint(string checkpoint, string dataDir, string device, CancellationToken cancellationToken = default)
    {
        var target = Devices.Resolve(device);
        var (model, options) = Checkpoint.Load(checkpoint, target);
        using (model)
        {
            var (evaluation, grid) = EvaluateAndDraw(model, dataDir, Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, target, cancellationToken);
            return new RunResult(options, evaluation, 0, 0, Path.GetFullPath(checkpoint), grid);
        }
    }

    private static (EvaluationResult, string) EvaluateAndDraw(
        GenerativeModel model, string dataDir, string runDir, Device device, CancellationToken cancellationToken)
    {
        using var test = Mnist.LoadTest(dataDir, device);
        using var subset = test.SelectByLabel(Subsets.TestIdx);
        var evaluation = Evaluator.EvaluateLowerBound(model, subset, cancellationToken);
        var grid = Path.Combine(runDir, GridFile);
        using (no_grad())
        using (var samples = model.SampleSigmoid(200))
            File.WriteAllBytes(grid, SampleGrid.RenderPng(samples, rows: 10, cols: 20));
        return (evaluation, grid);
    }
}
