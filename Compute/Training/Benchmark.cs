using System.Diagnostics;
using TorchSharp;
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
        var runDir = Directory.CreateTempSubdirectory("webgen-bench-").FullName;
        try
        {
            var trainerMs = Time(options, () =>
            {
                using var model = NewModel(options, data.Images.device);
                Trainer.Train(model, data, options with { CheckpointEvery = int.MaxValue }, runDir, cancellationToken: cancellationToken);
            });
            var bareMs = Time(options, () => BareLoop(options, data, cancellationToken));
            return new BenchmarkResult(options.Model, options.Iterations, data.Images.device.ToString(), trainerMs, bareMs);
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
