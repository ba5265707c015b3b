using System.Diagnostics;
using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Images;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Training;

/// <summary>
/// What the trainer draws from: all images (count, x_dim) with one-hot labels (count, 10), and for the SSVAE the
/// labelled set, all on the training device. Images are floats in [0, 1], or bytes that each batch divides by 255.
/// </summary>
public sealed record TrainingData(Tensor Images, Tensor Labels, Tensor? LabelledImages = null, Tensor? LabelledLabels = null);

/// <summary>A sample grid (PNG) drawn from the model every <paramref name="Every"/> steps while it trains.</summary>
public sealed record SamplePreview(int Every, Action<PreviewSnapshot> Report)
{
    /// <summary>Set by the experiment for a model judged by its classifier (the SSVAE): its test accuracy now.</summary>
    public Func<double>? TestAccuracy { get; init; }
}

/// <summary>What a preview shows: a grid of samples at a step, and the test accuracy there when the model has one.</summary>
public sealed record PreviewSnapshot(int Step, byte[] Png, double? TestAccuracy);

/// <summary>
/// The reference training loop: Adam, shuffled mini-batches one step each (epochs repeat until the iteration
/// count), MNIST batches (and the labelled set) re-binarised with bernoulli(x) every step, checkpoints every N
/// steps and at the end.
/// </summary>
public static class Trainer
{
    /// <summary>How often progress is read back from the device; reading every step would stall a GPU.</summary>
    public const int ReportEvery = 50;

    /// <param name="resume">Continue from the newest checkpoint in <paramref name="runDir"/>, if there is one.</param>
    /// <param name="checkpoints">
    /// Where the run's checkpoints are recorded besides its folder: it resumes from the recorded one (whatever
    /// <paramref name="resume"/> says) and records each new one.
    /// </param>
    /// <param name="stream">
    /// The run's random stream (<see cref="RandomStream.Initialise"/>); without one, the run continues from the
    /// default generator's state, as a caller that seeded it and built the model expects.
    /// </param>
    /// <returns>The path of the final checkpoint.</returns>
    public static string Train(
        GenerativeModel model, TrainingData data, TrainingOptions options, string runDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        bool resume = false, SamplePreview? preview = null, RandomStream? stream = null, CheckpointRecord? checkpoints = null)
    {
        var device = data.Images.device;
        var count = data.Images.shape[0];
        using var ownStream = stream is null ? RandomStream.ContinuingDefault() : null;
        var draws = stream ?? ownStream!;
        using var optimizer = new Adam(model.parameters(), options.LearningRate);
        var checkpoint = "";
        var done = 0;
        Tensor? permutation = null;
        var position = 0L;
        var from = checkpoints is not null ? checkpoints.Recorded
            : resume && Checkpoint.Latest(runDir) is { } latest ? new SavedCheckpoint(latest.Step, latest.Path) : null;
        if (from is not null)
        {
            model.load(from.Path);
            (checkpoint, done) = (from.Path, from.Step);
            var shape = new TrainingState.Shape(count, options.BatchSize, [.. model.parameters().Select(p => p.numel())]);
            if (Checkpoint.ReadTrainingState(Path.GetDirectoryName(from.Path)!, from.Step, shape) is { } state)
            {
                draws.Restore(state.Generator);
                optimizer.Restore(state.Moments);
                permutation = tensor(state.Permutation, device: device);
                position = state.Position;
            }
            else if (File.Exists(Path.Combine(runDir, Checkpoint.OptimizerFile)))
                optimizer.load_state_dict(Path.Combine(runDir, Checkpoint.OptimizerFile));
        }
        permutation ??= draws.Permutation(count, device);
        var clock = Stopwatch.StartNew();
        model.train();

        for (var step = done + 1; step <= options.Iterations; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            using (draws.Use()) // the step's shuffling, binarisation and z samples
            {
                if (position >= count)
                {
                    // A new epoch, reshuffled; like PyTorch's DataLoader, a short last batch is still used.
                    permutation.Dispose();
                    permutation = draws.Permutation(count, device).MoveToOuterDisposeScope();
                    position = 0;
                }
                var rows = permutation.narrow(0, position, Math.Min(options.BatchSize, count - position));
                position += options.BatchSize;

                optimizer.zero_grad();
                var terms = model.Loss(NextBatch(model, data, rows));
                terms.Loss.backward();
                optimizer.step();

                if (progress is not null && (step % ReportEvery == 0 || step == options.Iterations))
                {
                    progress.Report(new TrainingProgress(step, options.Iterations,
                        terms.Loss.item<float>(), terms.Kl.item<float>(), terms.Rec.item<float>(),
                        (step - done) / clock.Elapsed.TotalSeconds));
                }
            }
            if (preview is not null && step % preview.Every == 0)
                preview.Report(new PreviewSnapshot(step, DrawPreview(model, step), preview.TestAccuracy?.Invoke()));
            if (step % options.CheckpointEvery == 0 || step == options.Iterations)
            {
                using var rows = permutation.cpu();
                var state = new TrainingState(step, draws.State(), rows.data<long>().ToArray(), position, optimizer.Moments());
                checkpoint = Checkpoint.Save(model, options, runDir, step, state, checkpoints?.Record);
            }
        }
        permutation.Dispose();
        return checkpoint;
    }

    /// <summary>
    /// A 10×20 grid from the model as it is now, drawn from a stream of its own seeded with the step: watching a
    /// run never changes what it learns, and the preview of a step is the same each time it is drawn.
    /// </summary>
    public static byte[] DrawPreview(GenerativeModel model, int step)
    {
        using var stream = RandomStream.Seeded(step);
        using var drawing = stream.Use();
        return ModelGrid.Png(model);
    }

    internal static Batch NextBatch(GenerativeModel model, TrainingData data, Tensor rows)
    {
        var x = data.Images.index_select(0, rows);
        if (x.dtype == ScalarType.Byte) // images kept as bytes (SVHN) become byte/255 one batch at a time
            x = x.to(ScalarType.Float32).div_(OwnedScalars.ByteScale);
        var y = data.Labels.index_select(0, rows);
        var labelledX = data.LabelledImages;
        if (model.BinarisesInputs)
        {
            x = RandomStream.Bernoulli(x);
            labelledX = labelledX is null ? null : RandomStream.Bernoulli(labelledX);
        }
        return new Batch(x, y, labelledX, data.LabelledLabels);
    }
}
