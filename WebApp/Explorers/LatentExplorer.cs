using Microsoft.Extensions.Options;
using WebGen.Compute.Explorers;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Explorers;

/// <summary>
/// Opens trained runs of every model for the latent-space explorers (interpolation, traversal, latent map, mixture)
/// through the shared <see cref="ModelCache"/>, and runs each redraw off the circuit while the model is borrowed.
/// </summary>
public sealed class LatentExplorer(Explorable explorable, ModelCache cache, IOptions<WebGenOptions> options, ILogger<LatentExplorer> logger)
{
    /// <summary>What a run must be to open here, as refusals say it after "…; ".</summary>
    public const string Takes = "the explorers take completed runs";

    /// <summary>The runs <paramref name="viewer"/> may explore.</summary>
    public Task<IReadOnlyList<RunState>> RunsAsync(Viewer viewer, CancellationToken cancellationToken = default) =>
        explorable.RunsAsync(viewer, cancellationToken: cancellationToken);

    /// <summary>
    /// <paramref name="work"/> on the opened model of run <paramref name="runId"/>, off the caller's thread; errors say
    /// why the run cannot be explored, or what in the request is out of range.
    /// </summary>
    public async Task<T> UseAsync<T>(Guid runId, Viewer viewer, Func<ExplorerModel, T> work, CancellationToken cancellationToken = default)
    {
        var (run, checkpoint) = await explorable.FindAsync(runId, viewer, Takes, cancellationToken: cancellationToken);
        using var lease = await cache.BorrowAsync(runId, () =>
        {
            logger.LogInformation("Opening run {RunId} ({Model}) for the explorers", runId, run.Options.Model);
            return ExplorerModel.Open(checkpoint, run.Options.Model, options.Value.DataFolder);
        }, cancellationToken);
        return await Task.Run(() => work(lease.Value), cancellationToken);
    }
}

/// <summary>Registers the explorers: the one model cache, the runs a person may explore, and each explorer.</summary>
public static class ExplorersSetup
{
    public static WebApplicationBuilder AddExplorers(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExplorerOptions>().Bind(builder.Configuration.GetSection(ExplorerOptions.Section))
            .Validate(o => o.ModelsKept is >= 1 and <= 100, $"{ExplorerOptions.Section}:ModelsKept: accepted values are 1 to 100.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ModelCache>();
        builder.Services.AddSingleton<Explorable>();
        builder.Services.AddSingleton<LatentExplorer>();
        builder.Services.AddSingleton<Styles.StyleExplorer>();
        return builder;
    }
}
