using System.Diagnostics;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;

namespace WebGen.Compute.Explorers;

/// <summary>Server time per interaction of one explorer: median and 95th percentile, idle and beside a training run.</summary>
public sealed record ExplorerTiming(string Explorer, string Model, int Interactions, double MedianMs, double P95Ms, double? BusyMedianMs, double? BusyP95Ms);

/// <summary>
/// Times the explorers' redraws as the page asks for them, on models of the homework's sizes (VAE and GMVAE z = 10,
/// k = 500; SSVAE z = 64): their weights do not change the work, so freshly initialised ones serve. Each
/// interaction picks its images, place or component at random, as a person clicking around would.
/// </summary>
public static class ExplorerBenchmark
{
    private const int WarmUp = 5;

    /// <summary>The first latent map of a model: loading and encoding the test set, then projecting it.</summary>
    public static double FirstMapMs(ModelKind kind, string dataRoot)
    {
        using var explorer = Fresh(kind, dataRoot);
        var clock = Stopwatch.StartNew();
        explorer.Map();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// Each explorer's interactions, <paramref name="interactions"/> of each, idle; then again while a
    /// <paramref name="busy"/> training run of the same model kind trains on the same cores, when one is given.
    /// </summary>
    public static IReadOnlyList<ExplorerTiming> Interactions(string dataRoot, int interactions, TrainingOptions? busy, CancellationToken cancellationToken = default)
    {
        var explorers = new (string Name, ModelKind Kind, Func<ExplorerModel, Random, object> Interact)[]
        {
            ("interpolate", ModelKind.Vae, (m, r) => m.Interpolate(r.Next(m.TestCount), r.Next(m.TestCount), 10, spherical: r.Next(2) == 0)),
            ("interpolate_ssvae", ModelKind.Ssvae, (m, r) => m.Interpolate(r.Next(m.TestCount), r.Next(m.TestCount), 10, spherical: false)),
            ("traverse", ModelKind.Vae, (m, r) => m.Traverse(r.Next(m.TestCount), 0, 9)),
            ("traverse_ssvae", ModelKind.Ssvae, (m, r) => m.Traverse(r.Next(m.TestCount), 0, 9)),
            ("map", ModelKind.Vae, (m, r) => m.DecodeAt(4 * r.NextDouble() - 2, 4 * r.NextDouble() - 2)),
            ("mixture", ModelKind.Gmvae, (m, r) => m.SampleComponent(r.Next(m.Components), r.Next())),
        };
        var results = new List<ExplorerTiming>();
        foreach (var (name, kind, interact) in explorers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var explorer = Fresh(kind, dataRoot);
            explorer.Map(); // computed once per model and cached: the interactions time what follows
            if (kind == ModelKind.Gmvae) explorer.Mixture();
            var idle = Time(explorer, interact, interactions);
            (double Median, double P95)? loaded = null;
            if (busy is not null)
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var training = Task.Run(() => Train(busy, dataRoot, stop.Token), CancellationToken.None);
                Thread.Sleep(2000); // let the run load its data and reach its steady pace
                loaded = Time(explorer, interact, interactions);
                stop.Cancel();
                training.Wait(CancellationToken.None);
            }
            results.Add(new ExplorerTiming(name, ModelNames.Of(kind), interactions, idle.Median, idle.P95, loaded?.Median, loaded?.P95));
        }
        return results;
    }

    private static ExplorerModel Fresh(ModelKind kind, string dataRoot)
    {
        var options = TrainingOptions.For(kind);
        return ExplorerModel.Of(ModelFactory.Create(options), options, dataRoot);
    }

    private static (double Median, double P95) Time(ExplorerModel explorer, Func<ExplorerModel, Random, object> interact, int count)
    {
        var random = new Random(0);
        var times = new List<double>(count);
        for (var i = -WarmUp; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            interact(explorer, random);
            if (i >= 0) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return (Percentile(times, 0.5), Percentile(times, 0.95));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Ceiling(p * sorted.Count) - 1];

    private static void Train(TrainingOptions options, string dataRoot, CancellationToken cancellationToken)
    {
        try
        {
            Benchmark.TrainingSpeed(options, dataRoot, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopped once the timed interactions are done.
        }
    }
}
