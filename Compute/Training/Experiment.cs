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

/// <summary>
/// What one run produced: the protocol's numbers, its pace and where its files are; an evaluated checkpoint also
/// says which format it was read from.
/// </summary>
public sealed record RunResult(
    TrainingOptions Options, RunMetrics Metrics, double Seconds, double MsPerStep, string Checkpoint, string Grid,
    CheckpointFormat? Format = null);

/// <summary>
/// One run end to end, as the reference <c>run_*.py</c> scripts do it: load MNIST, train, evaluate with the
/// protocol, write the grid. Shared by the command line and the web app.
/// </summary>
public static class Experiment
{
    public const string GridFile = "samples.png";

    /// <param name="resume">Continue an interrupted run from its newest checkpoint in the same folder.</param>
    public static RunResult TrainAndEvaluate(
        TrainingOptions options, string mnistDir, string outDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        bool resume = false, SamplePreview? preview = null)
    {
        var device = Devices.Resolve(options.Device);
        var runDir = Path.Combine(outDir, ModelFactory.RunName(options));
        RandomStream.Seed(options.Seed);

        using var scope = NewDisposeScope();
        using var train = Mnist.LoadTrain(mnistDir, device);
        var data = TrainingDataFor(options, train);

        using var model = ModelFactory.Create(options);
        model.to(device);
        // A live accuracy curve for the SSVAE: its classifier on all 10,000 test images at every preview.
        using var test = preview is not null && model is Ssvae ? Mnist.LoadTest(mnistDir, device) : null;
        if (test is not null && model is Ssvae ssvae)
        {
            preview = preview! with
            {
                TestAccuracy = () =>
                {
                    var accuracy = Evaluator.ClassificationAccuracy(ssvae, test.Images, test.LabelTensor);
                    ssvae.train(); // the evaluator switched it to eval mode; training goes on
                    return accuracy;
                },
            };
        }
        var stepsBefore = resume ? Checkpoint.Latest(runDir)?.Step ?? 0 : 0;
        var clock = Stopwatch.StartNew();
        var checkpoint = Trainer.Train(model, data, options, runDir, progress, cancellationToken, resume, preview);
        var seconds = clock.Elapsed.TotalSeconds;
        var msPerStep = MsPerStep(seconds, options, stepsBefore);

        var (metrics, grid) = EvaluateAndDraw(model, mnistDir, runDir, device, cancellationToken);
        return new RunResult(options, metrics, seconds, msPerStep, checkpoint, grid);
    }

    /// <summary>
    /// The protocol evaluation of a saved checkpoint (<c>run_vae.py --train 0</c>), and its grid beside it. The file
    /// may be a PyTorch state dict of the homework's code (zip or legacy <c>torch.save</c>) or a WebGen checkpoint.
    /// </summary>
    public static RunResult EvaluateCheckpoint(
        string checkpoint, ModelKind model, string mnistDir, string device, CancellationToken cancellationToken = default)
    {
        var target = Devices.Resolve(device);
        using var loaded = ModelCheckpoint.Load(checkpoint, model, target, $"--checkpoint {checkpoint}");
        var runDir = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        var (metrics, grid) = EvaluateAndDraw(loaded.Model, mnistDir, runDir, target, cancellationToken);
        return new RunResult(loaded.Options, metrics, 0, 0, Path.GetFullPath(checkpoint), grid, loaded.Format);
    }

    /// <summary>
    /// The NELBO of a VAE or GMVAE checkpoint under <paramref name="seeds"/> binarisations of the test subset
    /// (<see cref="Evaluator.NelboPerBinarisation"/>); element 0 is the protocol's.
    /// </summary>
    public static double[] NelboPerBinarisation(
        string checkpoint, ModelKind model, string mnistDir, string device, int seeds, CancellationToken cancellationToken = default)
    {
        var target = Devices.Resolve(device);
        using var loaded = ModelCheckpoint.Load(checkpoint, model, target, $"--checkpoint {checkpoint}");
        if (loaded.Model is not LatentVariableModel bounded)
            throw new ArgumentException($"--binarisations: only VAE and GMVAE are judged on the binarised test subset, not {model}.");
        using var test = Mnist.LoadTest(mnistDir, target);
        using var subset = test.SelectByLabel(Subsets.TestIdx);
        return Evaluator.NelboPerBinarisation(bounded, subset, seeds, cancellationToken);
    }

    /// <summary>VAE and GMVAE: the lower bounds on the test subset; SSVAE: accuracy on all 10,000 test images.</summary>
    public static RunMetrics Evaluate(GenerativeModel model, string mnistDir, Device device, CancellationToken cancellationToken = default)
    {
        using var test = Mnist.LoadTest(mnistDir, device);
        return model switch
        {
            LatentVariableModel bounded => new RunMetrics(EvaluateSubset(bounded, test, cancellationToken), null),
            Ssvae ssvae => new RunMetrics(null, Evaluator.ClassificationAccuracy(ssvae, test.Images, test.LabelTensor)),
            _ => throw new NotSupportedException($"{model.GetType().Name} has no MNIST evaluation."),
        };
    }

    private static (RunMetrics, string) EvaluateAndDraw(
        GenerativeModel model, string mnistDir, string runDir, Device device, CancellationToken cancellationToken) =>
        (Evaluate(model, mnistDir, device, cancellationToken), WriteGrid(model, runDir));

    /// <summary>The model's 10×20 sample grid, in its own image shape, as <see cref="GridFile"/> in the run folder.</summary>
    internal static string WriteGrid(GenerativeModel model, string runDir)
    {
        var grid = Path.Combine(runDir, GridFile);
        File.WriteAllBytes(grid, GridPng(model));
        return grid;
    }

    /// <summary>The model's 10×20 sample grid as PNG bytes, drawn without gradients.</summary>
    public static byte[] GridPng(GenerativeModel model)
    {
        var (channels, height, width) = model.ImageShape;
        using (RandomStream.Shared())
        using (no_grad())
        using (var samples = model.SampleGrid())
            return SampleGrid.RenderPng(samples, rows: 10, cols: 20, height, width, channels);
    }

    /// <summary>Milliseconds per step of the steps this call trained (a resumed run trained only the rest).</summary>
    internal static double MsPerStep(double seconds, TrainingOptions options, int stepsBefore) =>
        1000 * seconds / Math.Max(1, options.Iterations - stepsBefore);

    private static EvaluationResult EvaluateSubset(LatentVariableModel model, MnistSplit test, CancellationToken cancellationToken)
    {
        using var subset = test.SelectByLabel(Subsets.TestIdx);
        return Evaluator.EvaluateLowerBound(model, subset, cancellationToken);
    }

    /// <summary>The training split as the model trains on it; the SSVAE adds its 100 labelled images.</summary>
    public static TrainingData TrainingDataFor(TrainingOptions options, MnistSplit train)
    {
        var data = new TrainingData(train.Images, train.OneHotLabels());
        if (options.Model != ModelKind.Ssvae)
            return data;
        // The subset table lists ten positions per digit, digit by digit.
        var labels = nn.functional.one_hot(OwnedScalars.Range(10, train.Images.device).repeat_interleave(10), 10);
        return data with { LabelledImages = train.SelectByLabel(Subsets.TrainIdx), LabelledLabels = labels.to(train.Images.dtype) };
    }
}
