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
    /// <returns>The path of the final checkpoint.</returns>
    public static string Train(
        GenerativeModel model, TrainingData data, TrainingOptions options, string runDir,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        bool resume = false, SamplePreview? preview = null)
    {
        var device = data.Images.device;
        var count = data.Images.shape[0];
        using var optimizer = new Adam(model.parameters(), options.LearningRate);
        var checkpoint = "";
        var done = 0;
        if (resume && Checkpoint.Latest(runDir) is { } latest)
        {
            model.load(latest.Path);
            var optimizerState = Path.Combine(runDir, Checkpoint.OptimizerFile);
            if (File.Exists(optimizerState))
                optimizer.load_state_dict(optimizerState);
            (checkpoint, done) = (latest.Path, latest.Step);
        }
        Tensor permutation;
        using (RandomStream.Shared())
            permutation = randperm(count, device: device);
        var clock = Stopwatch.StartNew();
        var position = 0L;
        model.train();

        for (var step = done + 1; step <= options.Iterations; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            using (RandomStream.Shared()) // the step's shuffling, binarisation and z samples
            {
                if (position >= count)
                {
                    // A new epoch, reshuffled; like PyTorch's DataLoader, a short last batch is still used.
                    permutation.Dispose();
                    permutation = randperm(count, device: device).MoveToOuterDisposeScope();
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
                preview.Report(new PreviewSnapshot(step, DrawPreview(model), preview.TestAccuracy?.Invoke()));
            if (step % options.CheckpointEvery == 0 || step == options.Iterations)
                checkpoint = Checkpoint.Save(model, optimizer, options, runDir, step);
        }
        permutation.Dispose();
        return checkpoint;
    }

    /// <summary>
    /// A 10×20 grid from the model as it is now. The random state is put back afterwards, so watching a run never
    /// changes what it learns.
    /// </summary>
    public static byte[] DrawPreview(GenerativeModel model)
    {
        using var drawing = RandomStream.Shared();
        using var rng = torch.random.get_rng_state();
        try
        {
            return ModelGrid.Png(model);
        }
        finally
        {
            torch.random.set_rng_state(rng);
        }
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
            x = bernoulli(x);
            labelledX = labelledX is null ? null : bernoulli(labelledX);
        }
        return new Batch(x, y, labelledX, data.LabelledLabels);
    }
}
