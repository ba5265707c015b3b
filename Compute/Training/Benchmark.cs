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

public static class Benchmark
{
    public static BenchmarkResult TrainingSpeed(TrainingOptions options, TrainingData data, CancellationToken cancellationToken = default)
    {
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

    // The irreducible work: one fixed binarised batch, the loss, backward and the Adam step.
    private static void BareLoop(TrainingOptions options, TrainingData data, CancellationToken cancellationToken)
    {
        using var model = NewModel(options, data.Images.device);
        using var optimizer = optim.Adam(model.parameters(), lr: options.LearningRate);
        using var scope = NewDisposeScope();
        var batch = new Batch(bernoulli(data.Images.narrow(0, 0, options.BatchSize)), data.Labels.narrow(0, 0, options.BatchSize),
            data.LabelledImages is null ? null : bernoulli(data.LabelledImages), data.LabelledLabels);
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
