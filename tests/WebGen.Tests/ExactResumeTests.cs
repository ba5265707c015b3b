using WebGen.Compute;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Data;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// A run stopped at any step and resumed from its checkpoint is the run it would have been: the same losses at the
/// same steps, the same weights and the same evaluation.
/// </summary>
[Collection(nameof(SeededDraws))] // bit for bit: alone, so no other test changes the intra-op threads under it
public sealed class ExactResumeTests : IDisposable
{
    private readonly string runs = Directory.CreateTempSubdirectory("webgen-resume-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    // 2,000 images of 100 a batch: an epoch is 20 steps, so the checkpoint at step 130 is half way through one.
    private static readonly TrainingOptions Options =
        new() { Iterations = 200, CheckpointEvery = 65, Seed = 2, Device = "cpu" };

    private static TrainingData SmallData() =>
        new(TestData.Train.Images.narrow(0, 0, 2000), TestData.Train.OneHotLabels().narrow(0, 0, 2000));

    private sealed record Trained(List<TrainingProgress> Reports, float[] Weights, double Nelbo);

    /// <summary>Trains in <paramref name="folder"/> from a fresh model and stream (seeded <paramref name="seed"/>), resuming when asked.</summary>
    private Trained Train(string folder, int seed, bool resume, int? cancelAfter = null)
    {
        var (model, stream) = RandomStream.Initialise(seed, () => ModelFactory.Create(Options));
        using (model)
        using (stream)
        using (var cancel = new CancellationTokenSource())
        {
            var reports = new List<TrainingProgress>();
            try
            {
                Trainer.Train(model, SmallData(), Options, Path.Combine(runs, folder, ModelFactory.RunName(Options)), new SynchronousProgress(p =>
                {
                    reports.Add(p);
                    if (p.Step == cancelAfter) cancel.Cancel();
                }), cancel.Token, resume, stream: stream);
            }
            catch (OperationCanceledException) when (cancelAfter is not null)
            {
                return new Trained(reports, [], double.NaN);
            }
            using var weights = cat(model.parameters().Select(p => p.flatten()).ToList(), 0);
            using var subset = TestData.Test.SelectByLabel(Subsets.TestIdx);
            var nelbo = Evaluator.EvaluateLowerBound((LatentVariableModel)model, subset).Nelbo;
            return new Trained(reports, weights.data<float>().ToArray(), nelbo);
        }
    }

    private static IEnumerable<(int, double, double, double)> Losses(IEnumerable<TrainingProgress> reports) =>
        reports.Select(r => (r.Step, r.Loss, r.Kl, r.Rec));

    [Fact]
    public void ARunStoppedMidEpochAndResumed_GivesTheUninterruptedRunsLossesWeightsAndNelbo()
    {
        var uninterrupted = Train("whole", Options.Seed, resume: false);

        Train("stopped", Options.Seed, resume: false, cancelAfter: 150);
        Assert.Equal(130, Experiment.ResumeStep(Options, Path.Combine(runs, "stopped")));
        // A fresh process: other initial weights and another stream, all replaced by the checkpoint's.
        var resumed = Train("stopped", seed: 99, resume: true);

        Assert.Equal(Losses(uninterrupted.Reports.Where(r => r.Step > 130)), Losses(resumed.Reports));
        Assert.Equal(uninterrupted.Weights, resumed.Weights);
        Assert.Equal(uninterrupted.Nelbo, resumed.Nelbo);
    }
}

/// <summary>A training state that is not the checkpoint's own is refused with what is wrong, before anything is applied.</summary>
public sealed class TrainingStateFileTests : IDisposable
{
    private readonly string runDir = Directory.CreateTempSubdirectory("webgen-state-").FullName;

    public void Dispose() => Directory.Delete(runDir, recursive: true);

    private static readonly TrainingOptions Options = new() { Iterations = 3, CheckpointEvery = 3, Device = "cpu", BatchSize = 10 };

    private string Saved()
    {
        manual_seed(1);
        using var model = ModelFactory.Create(Options);
        Trainer.Train(model, new TrainingData(TestData.Train.Images.narrow(0, 0, 50), TestData.Train.OneHotLabels().narrow(0, 0, 50)), Options, runDir);
        return Path.Combine(runDir, Checkpoint.TrainingStateFileName(3));
    }

    private static TrainingState.Shape ShapeOf()
    {
        using var model = ModelFactory.Create(Options);
        return new TrainingState.Shape(50, Options.BatchSize, [.. model.parameters().Select(p => p.numel())]);
    }

    private static string Refusal(string path, int step = 3) =>
        Assert.ThrowsAny<InvalidCheckpointException>(() => TrainingState.Read(path, step, ShapeOf())).Message;

    [Fact]
    public void TheSavedState_ReadsBackForItsStep()
    {
        var state = TrainingState.Read(Saved(), 3, ShapeOf());
        Assert.Equal((3, 30L, 50), (state.Step, state.Position, state.Permutation.Distinct().Count()));
    }

    [Fact]
    public void ATruncatedState_IsRefusedAsTruncated()
    {
        var path = Saved();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Contains("it is truncated", Refusal(path));
    }

    [Fact]
    public void AnEmptyFile_IsRefusedAsTruncated()
    {
        var path = Saved();
        File.WriteAllBytes(path, []);
        Assert.Contains("has 0 bytes", Refusal(path));
    }

    [Fact]
    public void AFileOfTheRightLengthButAnotherFormat_IsRefusedAsNotATrainingState()
    {
        var path = Saved();
        File.WriteAllBytes(path, new byte[new FileInfo(path).Length]);
        Assert.Contains("is not a WebGen training state", Refusal(path));
    }

    [Fact]
    public void AnotherStepsState_IsRefusedNamingBothSteps()
    {
        Assert.Contains("the state at step 3, not at the checkpoint's step 4", Refusal(Saved(), step: 4));
    }

    [Fact]
    public void APermutationWithARepeatedRow_IsRefused()
    {
        var path = Saved();
        var bytes = File.ReadAllBytes(path);
        // The permutation follows the header, position, generator length, generator and permutation length.
        var first = "WebGen training state".Length + 4 + 4 + 8 + 4 + RandomStream.StateLength + 8;
        bytes.AsSpan(first, 8).CopyTo(bytes.AsSpan(first + 8, 8));
        File.WriteAllBytes(path, bytes);
        Assert.Contains("the permutation is not one of 0 to 49 (entry 1", Refusal(path));
    }

    [Fact]
    public void ACraftedGeneratorState_IsRefusedBeforeLibtorchSeesIt()
    {
        var path = Saved();
        var bytes = File.ReadAllBytes(path);
        var generator = "WebGen training state".Length + 4 + 4 + 8 + 4;
        BitConverter.GetBytes(0).CopyTo(bytes, generator + 8); // the Mersenne Twister's "left" count
        File.WriteAllBytes(path, bytes);
        Assert.Contains("Mersenne Twister position is out of range", Refusal(path));
    }

    [Fact]
    public void ResumingFromACorruptState_IsAClearErrorNotACrash()
    {
        var path = Saved();
        File.WriteAllBytes(path, [1, 2, 3]);
        using var model = ModelFactory.Create(Options);
        var data = new TrainingData(TestData.Train.Images.narrow(0, 0, 50), TestData.Train.OneHotLabels().narrow(0, 0, 50));
        var error = Assert.ThrowsAny<InvalidCheckpointException>(() =>
            Trainer.Train(model, data, Options with { Iterations = 6 }, runDir, resume: true));
        Assert.StartsWith(Checkpoint.TrainingStateFileName(3), error.Message);
    }
}
