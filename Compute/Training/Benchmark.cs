using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Training;

/// <summary>Training pace of the real trainer against a bare forward/backward/Adam loop, measured in one process.</summary>
public sealed record BenchmarkResult(ModelKind Model, int Steps, string Device, double TrainerMsPerStep, double BareMsPerStep)
{
    /// <summary>Trainer time over bare time: the cost of shuffling, binarising, scopes and progress.</summary>
    public double Overhead => TrainerMsPerStep / BareMsPerStep;
}

/// <summary>
/// Where one training step's time goes, each phase's median in ms over the timed steps: the batch (rows picked,
/// converted and binarised), forward and loss, backward, the Adam update, and the progress read-back (three values
/// copied to the host, which the trainer does every <see cref="Trainer.ReportEvery"/> steps).
/// </summary>
public sealed record StepProfile(
    ModelKind Model, int Steps, string Device, int Threads,
    double BatchMs, double ForwardMs, double BackwardMs, double OptimizerMs, double ReadBackMs, LayerProducts Products)
{
    /// <summary>A step's time: the phases, with the read-back counted at its share.</summary>
    public double StepMs => BatchMs + ForwardMs + BackwardMs + OptimizerMs + (ReadBackMs / Trainer.ReportEvery);
}

/// <summary>
/// The matrix products of a step's linear layers replayed alone at the shapes the step gave them, on the same device
/// and threads: for each layer called as a module, the forward product and the backward's product for the weight's
/// gradient, and for the input's gradient where the input needs one. What remains of the step beside it is everything
/// that is not a product. Layers computed without calling their module (the SSVAE's once-per-image first layer) are
/// not counted, so this is a lower bound of the step's product time.
/// </summary>
public sealed record LayerProducts(int LayerCalls, double Gflop, double Ms)
{
    public double GflopPerSecond => Gflop / Ms * 1e3;
}

/// <summary>The style explorer's redraw time: median and 95th percentile over <paramref name="Redraws"/> redraws.</summary>
public sealed record RedrawTiming(int Redraws, string Device, double MedianMs, double P95Ms);

public static class Benchmark
{
    private const int RedrawWarmUp = 10;

    /// <summary>
    /// The slider's redraw as the web page calls it: ten digits for one z (a fresh one each time), decoded without
    /// gradients and encoded as the PNG the page shows (<see cref="LabelConditioned.DrawDigitsPng"/>), after a few
    /// warm-up calls. The weights
    /// are a fresh model's: the time does not depend on them. Null for a model without a label-conditioned decoder.
    /// </summary>
    public static RedrawTiming? Redraw(TrainingOptions options, Device device, int redraws = 200)
    {
        using var model = NewModel(options, device);
        if (model is not ILabelConditionedModel conditioned)
            return null;
        model.eval();
        var random = new Random(options.Seed);
        var z = new float[conditioned.ZDim];
        var times = new List<double>();
        for (var i = -RedrawWarmUp; i < redraws; i++)
        {
            for (var j = 0; j < z.Length; j++)
                z[j] = (float)(2 * random.NextDouble() - 1);
            var clock = Stopwatch.StartNew();
            conditioned.DrawDigitsPng(z);
            if (i >= 0) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return new RedrawTiming(redraws, device.ToString(), Percentile(times, 0.5), Percentile(times, 0.95));
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Ceiling(p * sorted.Count) - 1];

    /// <summary>Both loops on the model's training data from <paramref name="dataRoot"/>, on the options' device.</summary>
    public static BenchmarkResult TrainingSpeed(TrainingOptions options, string dataRoot, CancellationToken cancellationToken = default)
    {
        using var scope = NewDisposeScope();
        var data = DataSet.For(options.Model).LoadTraining(options, dataRoot, Devices.Resolve(options.Device));
        var trainerMs = TrainerMsPerStep(options, data, cancellationToken);
        var bareMs = Time(options, () => BareLoop(options, data, cancellationToken));
        return new BenchmarkResult(options.Model, options.Iterations, data.Images.device.ToString(), trainerMs, bareMs);
    }

    /// <summary>
    /// The trainer's step cut into its phases (<see cref="StepProfile"/>), each timed on its own; a CUDA device is
    /// synchronised at each cut so the time of its work lands in its phase. The first tenth of the steps warm up.
    /// </summary>
    public static StepProfile Profile(TrainingOptions options, string dataRoot, CancellationToken cancellationToken = default)
    {
        using var scope = NewDisposeScope();
        var data = DataSet.For(options.Model).LoadTraining(options, dataRoot, Devices.Resolve(options.Device));
        var device = data.Images.device;
        var count = data.Images.shape[0];
        using var model = NewModel(options, device);
        using var stream = RandomStream.ContinuingDefault();
        using var optimizer = new Adam(model.parameters(), options.LearningRate);
        using var permutation = stream.Permutation(count, device);
        var phases = Enumerable.Range(0, 5).Select(_ => new List<double>()).ToArray();
        var warmUp = options.Iterations / 10;
        var clock = new Stopwatch();
        model.train();
        for (var step = 0; step < options.Iterations; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            using var drawing = stream.Use();
            var times = new double[5];
            clock.Restart();
            var position = step * options.BatchSize % count;
            var batch = Trainer.NextBatch(model, data, permutation.narrow(0, position, Math.Min(options.BatchSize, count - position)));
            times[0] = Lap(clock, device);
            optimizer.zero_grad();
            var terms = model.Loss(batch);
            times[1] = Lap(clock, device);
            terms.Loss.backward();
            times[2] = Lap(clock, device);
            optimizer.step();
            times[3] = Lap(clock, device);
            _ = (terms.Loss.item<float>(), terms.Kl.item<float>(), terms.Rec.item<float>());
            times[4] = Lap(clock, device);
            if (step >= warmUp)
                for (var phase = 0; phase < times.Length; phase++)
                    phases[phase].Add(times[phase]);
        }
        var medians = phases.Select(Median).ToArray();
        var products = ReplayProducts(model, Trainer.NextBatch(model, data, permutation.narrow(0, 0, Math.Min(options.BatchSize, count))), device);
        return new StepProfile(options.Model, options.Iterations - warmUp, device.ToString(), Devices.IntraOpThreads,
            medians[0], medians[1], medians[2], medians[3], medians[4], products);
    }

    /// <summary>
    /// Records the shape each linear layer sees in one loss and backward on <paramref name="batch"/>, then times those
    /// products alone (<see cref="LayerProducts"/>), median of <paramref name="rounds"/> after as many warm-up rounds.
    /// </summary>
    private static LayerProducts ReplayProducts(GenerativeModel model, Batch batch, Device device, int rounds = 100)
    {
        var shapes = new List<(long Rows, long In, long Out, bool InputGradient)>();
        var hooks = model.modules().OfType<Linear>().Select(layer => layer.register_forward_pre_hook((_, input) =>
        {
            shapes.Add((input.numel() / input.shape[^1], layer.in_features, layer.out_features, input.requires_grad));
            return input;
        })).ToList();
        try
        {
            using var scope = NewDisposeScope();
            model.Loss(batch).Loss.backward();
            model.zero_grad();
        }
        finally
        {
            hooks.ForEach(hook => hook.remove());
        }

        using var replay = NewDisposeScope();
        using var noGrad = no_grad();
        var products = shapes.SelectMany(shape =>
        {
            var (x, weight, outputGradient) = (randn(shape.Rows, shape.In, device: device), randn(shape.Out, shape.In, device: device),
                randn(shape.Rows, shape.Out, device: device));
            (Tensor Left, Tensor Right)[] forwardAndWeight = [(x, weight.t()), (outputGradient.t(), x)];
            return shape.InputGradient ? [.. forwardAndWeight, (outputGradient, weight)] : forwardAndWeight;
        }).ToList();
        var gflop = products.Sum(p => 2.0 * p.Left.shape[0] * p.Left.shape[1] * p.Right.shape[1]) / 1e9;
        var times = new List<double>();
        var clock = new Stopwatch();
        for (var round = -rounds; round < rounds; round++)
        {
            clock.Restart();
            foreach (var (left, right) in products)
                left.mm(right).Dispose();
            var ms = Lap(clock, device);
            if (round >= 0)
                times.Add(ms);
        }
        return new LayerProducts(shapes.Count, gflop, Median(times));
    }

    /// <summary>Milliseconds since the last lap, once the device has finished the work queued in it.</summary>
    private static double Lap(Stopwatch clock, Device device)
    {
        if (device.type == DeviceType.CUDA)
            cuda.synchronize(device);
        var ms = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return ms;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    /// <summary>The real trainer's ms/step over <paramref name="data"/> (no checkpoints, a temporary run folder), from a fresh model.</summary>
    public static double TrainerMsPerStep(TrainingOptions options, TrainingData data, CancellationToken cancellationToken = default)
    {
        var runDir = Directory.CreateTempSubdirectory("webgen-bench-").FullName;
        try
        {
            return Time(options, () =>
            {
                using var model = NewModel(options, data.Images.device);
                Trainer.Train(model, data, options with { CheckpointEvery = int.MaxValue }, runDir, cancellationToken: cancellationToken);
            });
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    // The irreducible work: one fixed batch as the trainer prepares it (binarised for MNIST), the loss, backward and
    // the Adam step.
    private static void BareLoop(TrainingOptions options, TrainingData data, CancellationToken cancellationToken)
    {
        using var model = NewModel(options, data.Images.device);
        using var optimizer = new Adam(model.parameters(), options.LearningRate);
        using var scope = NewDisposeScope();
        var batch = Trainer.NextBatch(model, data, OwnedScalars.Range(options.BatchSize, data.Images.device));
        for (var step = 0; step < options.Iterations; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            model.Loss(batch).Loss.backward();
            optimizer.step();
        }
    }

    private static GenerativeModel NewModel(TrainingOptions options, Device device)
    {
        manual_seed(options.Seed);
        var model = ModelFactory.Create(options);
        model.to(device);
        return model;
    }

    private static double Time(TrainingOptions options, Action loop)
    {
        var clock = Stopwatch.StartNew();
        loop();
        return clock.Elapsed.TotalMilliseconds / options.Iterations;
    }
}
