using System.Diagnostics;
using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Data;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Training;

/// <summary>
/// The FSVAE run end to end, as <c>run_fsvae.py</c> does it: train on SVHN's extra split (train when extra is
/// absent), then the 10×20 style grid and, when the test split is present, the bound on a fixed test subset.
/// </summary>
public static class SvhnExperiment
{
    /// <summary>
    /// The test subset: the first 10 images of each digit in file order, 100 in all. The reference reports no
    /// SVHN numbers, so this only compares our own runs; 100 balanced images, averaged over 100 calls, mirror the
    /// MNIST protocol's size and cost (a second on a CPU) without an index table nobody published.
    /// </summary>
    public const int TestPerDigit = 10;

    public static RunResult TrainAndEvaluate(
        TrainingOptions options, string svhnDir, string outDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        bool resume = false, SamplePreview? preview = null)
    {
        var trainingFile = Svhn.TrainingFile(svhnDir); // a missing split fails before anything is loaded
        var device = Devices.Resolve(options.Device);
        var runDir = Path.Combine(outDir, ModelFactory.RunName(options));
        RandomStream.Seed(options.Seed);

        using var scope = NewDisposeScope();
        string checkpoint;
        double seconds;
        var stepsBefore = resume ? Checkpoint.Latest(runDir)?.Step ?? 0 : 0;
        using var model = ModelFactory.Create(options);
        model.to(device);
        using (var train = Svhn.Load(trainingFile))
        {
            var clock = Stopwatch.StartNew();
            checkpoint = Trainer.Train(model, TrainingDataFor(train, device), options, runDir, progress, cancellationToken, resume, preview);
            seconds = clock.Elapsed.TotalSeconds;
        }
        var metrics = Evaluate(model, svhnDir, device, cancellationToken);
        return new RunResult(options, metrics, seconds, Experiment.MsPerStep(seconds, options, stepsBefore), checkpoint, Experiment.WriteGrid(model, runDir));
    }

    /// <summary>A saved FSVAE checkpoint's bound on the test subset (when the test split is present) and its grid.</summary>
    public static RunResult EvaluateCheckpoint(string checkpoint, string svhnDir, string device, CancellationToken cancellationToken = default)
    {
        var target = Devices.Resolve(device);
        var (model, options) = Checkpoint.Load(checkpoint, target);
        using (model)
        {
            var runDir = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
            var metrics = Evaluate(model, svhnDir, target, cancellationToken);
            return new RunResult(options, metrics, 0, 0, Path.GetFullPath(checkpoint), Experiment.WriteGrid(model, runDir));
        }
    }

    /// <summary>Pixels stay bytes on the device (1.6 GB for extra); the trainer turns each batch into byte/255.</summary>
    public static TrainingData TrainingDataFor(SvhnSplit train, Device device) =>
        new(train.Pixels.to(device), train.OneHotLabels().to(device));

    private static RunMetrics Evaluate(GenerativeModel model, string svhnDir, Device device, CancellationToken cancellationToken)
    {
        var testFile = Path.Combine(svhnDir, Svhn.TestFile);
        if (model is not Fsvae fsvae)
            throw new NotSupportedException($"{model.GetType().Name} has no SVHN evaluation; only the FSVAE trains on SVHN.");
        if (!File.Exists(testFile))
            return new RunMetrics(null, null);
        using var scope = NewDisposeScope();
        using var test = Svhn.Load(testFile);
        var rows = test.FirstOfEachDigit(TestPerDigit);
        var x = test.Images(rows).to(device);
        var y = test.OneHotLabels().index_select(0, tensor(rows)).to(device);
        return new RunMetrics(Evaluator.EvaluateConditionalBound(fsvae, x, y, cancellationToken), null);
    }
}
