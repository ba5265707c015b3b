using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using WebGen.Compute.Styles;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Styles;

/// <summary>A model open in the style explorer, with its example images and its sliders' directions.</summary>
public sealed record OpenStyles(StyleModel Model, IReadOnlyList<StyleExample> Examples, StyleAxes Axes);

/// <summary>
/// Opens trained SSVAE and FSVAE runs for the style explorer and keeps the few most recently used in memory, so that
/// every browser exploring the same run shares one loaded model.
/// </summary>
public sealed class StyleExplorer(RunCatalog runs, DemoModels explorable, IOptions<WebGenOptions> options) : IDisposable
{
    /// <summary>How many models stay loaded at once (each is a few megabytes of weights).</summary>
    public const int Kept = 4;

    private readonly ConcurrentDictionary<Guid, Lazy<OpenStyles>> open = new();
    private readonly ConcurrentQueue<Guid> order = new();

    public static bool CanExplore(RunState run) =>
        run.Status == RunStatus.Completed && run.Options.Model is ModelKind.Ssvae or ModelKind.Fsvae;

    /// <summary>Completed runs whose decoder takes the digit, of those <paramref name="viewer"/> may explore (own and demo models).</summary>
    public async Task<IReadOnlyList<RunState>> RunsAsync(Viewer viewer, CancellationToken cancellationToken = default) =>
        [.. (await explorable.ExplorableAsync(viewer, cancellationToken)).Where(CanExplore)];

    /// <summary>The model of a completed run, its example images and slider directions; errors say why a run cannot be explored.</summary>
    public async Task<OpenStyles> OpenAsync(Guid runId, Viewer viewer, CancellationToken cancellationToken = default)
    {
        var run = await runs.GetAsync(runId, cancellationToken) ?? throw new ArgumentException($"There is no run {runId}.");
        if (!viewer.MayExplore(run))
            throw new ArgumentException(Viewer.NotYours(runId));
        if (!CanExplore(run))
            throw new ArgumentException($"Run {runId} is a {run.Status.ToString().ToLowerInvariant()} {run.Options.Model} run; the explorer takes completed SSVAE or FSVAE runs.");
        var (checkpoint, _) = await runs.ArtifactsAsync(runId, cancellationToken);
        var entry = open.GetOrAdd(runId, _ => new(() =>
        {
            var model = StyleModel.Open(checkpoint!, run.Options.Model);
            var data = options.Value.DataFolder;
            return new OpenStyles(model, model.Examples(data), model.Axes(data));
        }));
        if (!order.Contains(runId))
        {
            order.Enqueue(runId);
            while (order.Count > Kept && order.TryDequeue(out var oldest) && oldest != runId)
                if (open.TryRemove(oldest, out var evicted) && evicted.IsValueCreated)
                    evicted.Value.Model.Dispose();
        }
        return await Task.Run(() => entry.Value, cancellationToken); // the first open loads the checkpoint off the circuit
    }

    public void Dispose()
    {
        foreach (var entry in open.Values.Where(e => e.IsValueCreated))
            entry.Value.Model.Dispose();
    }
}
