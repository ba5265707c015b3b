using WebGen.Compute;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// Training must not depend on when the garbage collector runs. A native object (a libtorch Scalar or tensor) that
/// .NET can finalize while libtorch still reads it turns another user's allocation churn into a failed or silently
/// different run; these trainings run once undisturbed and once while other threads force collections and churn
/// allocations, and must agree bit for bit.
/// </summary>
[Collection(nameof(SeededDraws))]
public sealed class GcPressureTests : IDisposable
{
    private readonly string runs = Directory.CreateTempSubdirectory("webgen-gc-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    [Theory]
    [InlineData(ModelKind.Vae, 100)]
    [InlineData(ModelKind.Gmvae, 50)]
    [InlineData(ModelKind.Ssvae, 60)]
    public void Training_UnderForcedCollectionsAndAllocationChurn_GivesTheUndisturbedRunBitForBit(ModelKind kind, int iterations)
    {
        var options = new TrainingOptions { Model = kind, Iterations = iterations, Seed = 7, Device = "cpu" };
        var undisturbed = TrainRecording(options, Path.Combine(runs, "undisturbed"));

        TrainedRun disturbed;
        using (new GcPressure(collectors: 2, churners: 1))
            disturbed = TrainRecording(options, Path.Combine(runs, "disturbed"));

        Assert.Equal(undisturbed, disturbed);
    }

    /// <summary>Every progress report's (step, loss, KL, Rec) and the bits of every final parameter.</summary>
    private sealed record TrainedRun(string Reports, string Parameters);

    private static TrainedRun TrainRecording(TrainingOptions options, string runDir)
    {
        manual_seed(options.Seed);
        using var model = ModelFactory.Create(options);
        var reports = new List<TrainingProgress>();
        Trainer.Train(model, MnistDataSet.TrainingDataFor(options, TestData.Train), options, runDir,
            new SynchronousProgress(reports.Add));
        var parameters = model.named_parameters().Select(p =>
            $"{p.name}:{Convert.ToHexString(p.parameter.detach().cpu().bytes)}");
        return new TrainedRun(
            string.Join("\n", reports.Select(r => $"{r.Step} {r.Loss:R} {r.Kl:R} {r.Rec:R}")),
            string.Join("\n", parameters));
    }

    /// <summary>
    /// Threads that force collections of the youngest generation, where a step's temporaries are, and run the
    /// finalizers at once, as fast as they can; and threads that churn short-lived allocations.
    /// </summary>
    private sealed class GcPressure : IDisposable
    {
        private volatile bool stopping;
        private readonly Thread[] threads;

        public GcPressure(int collectors, int churners)
        {
            threads =
            [
                .. Enumerable.Range(0, collectors).Select(_ => new Thread(Collect)),
                .. Enumerable.Range(0, churners).Select(seed => new Thread(() => Churn(seed))),
            ];
            foreach (var thread in threads)
            {
                thread.IsBackground = true;
                thread.Start();
            }
        }

        private void Collect()
        {
            while (!stopping)
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        }

        // A ring of arrays of varied sizes: most die young, some survive into older generations.
        private void Churn(int seed)
        {
            var random = new Random(seed);
            var ring = new object[256];
            for (var i = 0; !stopping; i++)
                ring[i % ring.Length] = new byte[random.Next(16, 64 * 1024)];
        }

        public void Dispose()
        {
            stopping = true;
            foreach (var thread in threads)
                thread.Join();
        }
    }
}
