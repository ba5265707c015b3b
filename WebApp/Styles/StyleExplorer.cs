using Microsoft.Extensions.Options;
using WebGen.Compute.Styles;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;
using WebGen.WebApp.Explorers;

namespace WebGen.WebApp.Styles;

/// <summary>A model open in the style explorer, with its example images and its sliders' directions.</summary>
public sealed record OpenStyles(StyleModel Model, IReadOnlyList<StyleExample> Examples, StyleAxes Axes) : IDisposable
{
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Opens trained SSVAE and FSVAE runs for the style explorer through the explorers' one <see cref="ModelCache"/>, so
/// that every browser exploring the same run shares one loaded model.
/// </summary>
public sealed class StyleExplorer(Explorable explorable, ModelCache cache, IOptions<WebGenOptions> options)
{
    private const string Takes = "the style explorer takes completed SSVAE or FSVAE runs";

    private static bool TakesY(ModelKind model) => model is ModelKind.Ssvae or ModelKind.Fsvae;

    public static bool CanExplore(RunState run) => Explorable.CanExplore(run) && TakesY(run.Options.Model);

    /// <summary>Completed runs whose decoder takes the digit, of those <paramref name="viewer"/> may see.</summary>
    public Task<IReadOnlyList<RunState>> RunsAsync(Viewer viewer, CancellationToken cancellationToken = default) =>
        explorable.RunsAsync(viewer, TakesY, cancellationToken);

    /// <summary>
    /// The model of a completed run, its example images and slider directions, lent until the caller disposes the lease
    /// (a model evicted from the cache meanwhile is disposed only then); errors say why a run cannot be explored.
    /// </summary>
    public async Task<Lease<OpenStyles>> OpenAsync(Guid runId, Viewer viewer, CancellationToken cancellationToken = default)
    {
        var (run, checkpoint) = await explorable.FindAsync(runId, viewer, Takes, TakesY, cancellationToken);
        return await cache.BorrowAsync(runId, () =>
        {
            var model = StyleModel.Open(checkpoint, run.Options.Model);
            var data = options.Value.DataFolder;
            return new OpenStyles(model, model.Examples(data), model.Axes(data));
        }, cancellationToken);
    }
}
