using System.Diagnostics;
using TorchSharp;
using WebGen.Compute.Checkpoints;
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
/// One run end to end, as the reference <c>run_*.py</c> scripts do it: load the model's data set, train, evaluate
/// with the protocol, write the grid. Shared by the command line and the web app; <c>dataRoot</c> is the folder
/// holding every data set, and <see cref="DataSet.For"/> finds the model's.
/// </summary>
public static class Experiment
{
    /// <param name="resume">Continue an interrupted run from its newest checkpoint in the same folder.</param>
    /// <param name="checkpoints">Where the run's checkpoints are recorded besides its folder (<see cref="Trainer.Train"/>).</param>
    public static RunResult TrainAndEvaluate(
        TrainingOptions options, string dataRoot, string outDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        bool resume = false, SamplePreview? preview = null, CheckpointRecord? checkpoints = null)
    {
        var dataSet = DataSet.For(options.Model);
        var device = Devices.Resolve(options.Device);
        var runDir = Path.Combine(outDir, ModelFactory.RunName(options));

        using var scope = NewDisposeScope();
        var (model, stream) = RandomStream.Initialise(options.Seed, () => ModelFactory.Create(options));
        using var disposeModel = model;
        using var disposeStream = stream;
        model.to(device);
        var stepsBefore = checkpoints is not null ? checkpoints.Recorded?.Step ?? 0 : resume ? ResumeStep(options, outDir) : 0;
        string checkpoint;
        double seconds;
        using (NewDisposeScope()) // the training data (SVHN's extra is 1.6 GB) is freed before the evaluation
        {
            var data = dataSet.LoadTraining(options, dataRoot, device);
            if (preview is not null && dataSet.TestAccuracy(model, dataRoot, device) is { } testAccuracy)
                preview = preview with { TestAccuracy = testAccuracy };
            var clock = Stopwatch.StartNew();
            checkpoint = Trainer.Train(model, data, options, runDir, progress, cancellationToken, resume, preview, stream, checkpoints);
            seconds = clock.Elapsed.TotalSeconds;
        }
        var metrics = dataSet.Evaluate(model, dataRoot, device, cancellationToken);
        using (stream.Use())
            return new RunResult(options, metrics, seconds, MsPerStep(seconds, options, stepsBefore), checkpoint, ModelGrid.Write(model, runDir));
    }

    /// <summary>
    /// The step a resumed run of <paramref name="options"/> in <paramref name="outDir"/> continues from: its newest
    /// checkpoint's, or 0 when it has none. Steps after it are trained again, exactly as before, so a record of them
    /// (a progress history) is cut back to this step before the run resumes.
    /// </summary>
    public static int ResumeStep(TrainingOptions options, string outDir) =>
        Checkpoint.Latest(Path.Combine(outDir, ModelFactory.RunName(options)))?.Step ?? 0;

    /// <summary>
    /// The protocol evaluation of a saved checkpoint (<c>run_vae.py --train 0</c>), and its grid beside it. The file
    /// may be a WebGen checkpoint of any model, or for the VAE, GMVAE and SSVAE a PyTorch state dict of the
    /// homework's code (zip or legacy <c>torch.save</c>); <paramref name="what"/> is how errors name it.
    /// </summary>
    public static RunResult EvaluateCheckpoint(
        string checkpoint, ModelKind model, string dataRoot, string device, string? what = null, CancellationToken cancellationToken = default)
    {
        var target = Devices.Resolve(device);
        using var loaded = ModelCheckpoint.Load(checkpoint, model, target, what);
        var runDir = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        var metrics = DataSet.For(model).Evaluate(loaded.Model, dataRoot, target, cancellationToken);
        // The grid of a checkpoint is drawn from a stream of its own, the same each time it is evaluated.
        using var stream = RandomStream.Seeded(0);
        using var drawing = stream.Use();
        return new RunResult(loaded.Options, metrics, 0, 0, Path.GetFullPath(checkpoint), ModelGrid.Write(loaded.Model, runDir), loaded.Format);
    }

    /// <summary>
    /// The NELBO of a VAE or GMVAE checkpoint under <paramref name="seeds"/> binarisations of the MNIST test subset
    /// (<see cref="Evaluator.NelboPerBinarisation"/>); element 0 is the protocol's.
    /// </summary>
    public static double[] NelboPerBinarisation(
        string checkpoint, ModelKind model, string dataRoot, string device, int seeds, string? what = null,
        CancellationToken cancellationToken = default)
    {
        var target = Devices.Resolve(device);
        using var loaded = ModelCheckpoint.Load(checkpoint, model, target, what);
        if (loaded.Model is not LatentVariableModel bounded)
            throw new ArgumentException($"only VAE and GMVAE are judged on the binarised test subset, not {ModelNames.Title(model)}.");
        using var subset = DataSet.Mnist.TestSubset(dataRoot, target);
        return Evaluator.NelboPerBinarisation(bounded, subset, seeds, cancellationToken);
    }

    /// <summary>Milliseconds per step of the steps this call trained (a resumed run trained only the rest).</summary>
    private static double MsPerStep(double seconds, TrainingOptions options, int stepsBefore) =>
        1000 * seconds / Math.Max(1, options.Iterations - stepsBefore);
}
