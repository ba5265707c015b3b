using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Explorers;

/// <summary>
/// The one place that says which trained models a person may open in an explorer (the style explorer and the
/// latent-space explorers alike), and refuses the rest with the usual words.
/// </summary>
public sealed class Explorable(RunCatalog runs, DemoModels demos)
{
    /// <summary>A run has a model to explore once it completed.</summary>
    public static bool CanExplore(RunState run) => run.Status == RunStatus.Completed;

    /// <summary>
    /// The completed runs <paramref name="viewer"/> may explore (their own and the class's demo models), of the models
    /// <paramref name="models"/> accepts (every model when null).
    /// </summary>
    public async Task<IReadOnlyList<RunState>> RunsAsync(Viewer viewer, Func<ModelKind, bool>? models = null, CancellationToken cancellationToken = default) =>
        [.. (await demos.ExplorableAsync(viewer, cancellationToken)).Where(r => CanExplore(r) && (models?.Invoke(r.Options.Model) ?? true))];

    /// <summary>
    /// Run <paramref name="runId"/> and its checkpoint, when <paramref name="viewer"/> may explore it; otherwise an
    /// <see cref="ArgumentException"/> saying why — another person's run reads exactly as on every other page.
    /// </summary>
    public async Task<(RunState Run, string Checkpoint)> FindAsync(Guid runId, Viewer viewer, string takes, Func<ModelKind, bool>? models = null,
        CancellationToken cancellationToken = default)
    {
        var run = await runs.GetAsync(runId, cancellationToken) ?? throw new ArgumentException($"There is no run {runId}.");
        if (!viewer.MayExplore(run))
            throw new ArgumentException(Viewer.NotYours(runId));
        if (!CanExplore(run) || !(models?.Invoke(run.Options.Model) ?? true))
            throw new ArgumentException($"Run {runId} is a {run.Status.ToString().ToLowerInvariant()} {run.Options.Model} run; {takes}.");
        var (checkpoint, _) = await runs.ArtifactsAsync(runId, cancellationToken);
        return (run, checkpoint ?? throw new ArgumentException($"Run {runId} has no checkpoint left to explore."));
    }
}
