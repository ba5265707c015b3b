using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace WebGen.Tools.ClusterBench;

/// <summary>
/// Progress latency across front ends: a watcher on one front end's hub records when each update of a run arrives;
/// the run's stored history says when the worker reported each step (the server's clock, the same machine here), and
/// latency is arrival minus report for every step both hold. Used by the cluster tests and <c>./webgen bench cluster</c>
/// (its <c>progress_latency_ms</c>). Reads only the fields it needs, so it depends on no WebGen assembly.
/// </summary>
public sealed class ProgressWatch
{
    private readonly ConcurrentQueue<Arrival> arrivals = new();
    private readonly TaskCompletionSource<Update> finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProgressWatch(Guid runId) => RunId = runId;

    public Guid RunId { get; }

    /// <summary>The run's state as Subscribe returned it; the pushed updates follow in <see cref="Arrivals"/>.</summary>
    public Update? First { get; private set; }

    public IReadOnlyList<Arrival> Arrivals => [.. arrivals];

    /// <summary>The run's final state (completed, failed or cancelled), pushed or already there at the subscription.</summary>
    public Task<Update> Finished => finished.Task;

    /// <summary>Watches <paramref name="runId"/> through <paramref name="hub"/>, a started connection to one front end's runs hub.</summary>
    public static async Task<ProgressWatch> StartAsync(HubConnection hub, Guid runId, CancellationToken cancellationToken = default)
    {
        var watch = new ProgressWatch(runId);
        hub.On<Update>("RunUpdated", update =>
        {
            if (update.Id != runId) return;
            watch.arrivals.Enqueue(new Arrival(update, DateTime.UtcNow));
            if (update.IsFinished) watch.finished.TrySetResult(update);
        });
        watch.First = await hub.InvokeAsync<Update?>("Subscribe", runId, cancellationToken)
            ?? throw new InvalidOperationException($"run {runId} is unknown to the watcher's front end");
        if (watch.First.IsFinished) watch.finished.TrySetResult(watch.First);
        return watch;
    }

    /// <summary>The reported steps (from <c>/api/runs/{id}/history</c>) after the subscription that no update carried.</summary>
    public IReadOnlyList<int> Missed(IEnumerable<Point> history)
    {
        var seen = Arrivals.Where(a => a.Update.Progress is not null).Select(a => a.Update.Progress!.Step).ToHashSet();
        return [.. history.Where(p => p.Step > (First?.Progress?.Step ?? 0) && !seen.Contains(p.Step)).Select(p => p.Step)];
    }

    /// <summary>Milliseconds from each step's report to its arrival here: the median, the 95th percentile, and how many.</summary>
    public Latency LatencyMs(IEnumerable<Point> history)
    {
        var ms = Milliseconds(history);
        if (ms.Count == 0)
            throw new InvalidOperationException($"no progress update of run {RunId} arrived to measure");
        return Summarise(ms);
    }

    /// <summary>
    /// Milliseconds from each step's report to the first update here that carried it, for every step both hold. Later
    /// updates carry the same progress with another change (a checkpoint recorded, a preview, the final state after the
    /// evaluation): they are not that report arriving.
    /// </summary>
    public IReadOnlyList<double> Milliseconds(IEnumerable<Point> history)
    {
        var reported = history.GroupBy(p => p.Step).ToDictionary(g => g.Key, g => g.First().AtUtc);
        return [.. Arrivals.Where(a => a.Update.Progress is { } p && reported.ContainsKey(p.Step))
            .GroupBy(a => a.Update.Progress!.Step)
            .Select(g => (g.Min(a => a.ReceivedUtc) - reported[g.Key]).TotalMilliseconds)];
    }

    /// <summary>The median and 95th percentile of <paramref name="milliseconds"/> (zeros when there are none), and how many.</summary>
    public static Latency Summarise(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToList();
        return sorted.Count == 0 ? new Latency(0, 0, 0) : new Latency(Percentile(sorted, 0.50), Percentile(sorted, 0.95), sorted.Count);
    }

    public static async Task<IReadOnlyList<Point>> HistoryAsync(HttpClient client, Guid runId, CancellationToken cancellationToken = default) =>
        await client.GetFromJsonAsync<List<Point>>($"/api/runs/{runId}/history", cancellationToken) ?? [];

    /// <summary>Nearest rank: the smallest value with at least <paramref name="q"/> of them at or below it.</summary>
    private static double Percentile(List<double> sorted, double q) => sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Count) - 1)];

    public sealed record Update(Guid Id, long Version, string Status, Progress? Progress)
    {
        public bool IsFinished => Status.ToLowerInvariant() is "completed" or "failed" or "cancelled";
    }

    public sealed record Progress(int Step);

    public sealed record Arrival(Update Update, DateTime ReceivedUtc);

    public sealed record Point(int Step, DateTime AtUtc);

    public sealed record Latency(double P50, double P95, int Count);
}
