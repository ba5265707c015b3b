using System.Globalization;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Runs;
using WebGen.WebApp.Security;

namespace WebGen.WebApp.Gallery;

/// <summary>A run's kept preview grids: the steps, one step's grid, and all of them as an animation.</summary>
public static class GalleryApi
{
    public static IEndpointRouteBuilder MapGalleryApi(this IEndpointRouteBuilder app)
    {
        // The runs' own access rule: 404 for an unknown run, 403 for another student's.
        var run = app.MapGroup("/api/runs/{id:guid}").RequireAuthorization(ClassPolicies.Member)
            .AddEndpointFilter(RunsApi.OnlyRunsTheViewerMaySee);
        run.MapGet("/previews", (Guid id, RunGallery gallery) => TypedResults.Ok(gallery.Steps(id)));
        // {step} is taken as text, so "abc.png" gets this API's JSON problem rather than a routing 404.
        run.MapGet("/previews/{step}.png", IResult (Guid id, string step, RunGallery gallery) =>
        {
            if (!int.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
                return TypedResults.Problem($"step {JsonBody.Cut(step)}: accepted values are whole steps, e.g. previews/500.png; GET previews lists them.", statusCode: 400);
            return gallery.FileOf(id, s) is { } file
                ? TypedResults.PhysicalFile(file, "image/png")
                : TypedResults.Problem(NoGridAt(id, s, gallery.Steps(id)), statusCode: 404);
        });
        run.MapGet("/previews.gif", async Task<IResult> (Guid id, GalleryAnimation animation, CancellationToken cancellationToken) =>
            await animation.GifAsync(id, cancellationToken) is { } gif
                ? TypedResults.File(gif, "image/gif", $"run-{id:N}-samples.gif")
                : TypedResults.Problem($"Run {id} has no preview grids (yet).", statusCode: 404));
        return app;
    }

    public static WebApplicationBuilder AddGallery(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GalleryOptions>().Bind(builder.Configuration.GetSection(GalleryOptions.Section));
        builder.Services.AddSingleton<RunGallery>();
        builder.Services.AddSingleton<GalleryAnimation>();
        return builder;
    }

    private static string NoGridAt(Guid id, int step, IReadOnlyList<int> kept) => kept switch
    {
        [] => $"Run {id} has no preview grids (yet).",
        [var only] => $"Run {id} has no preview grid at step {step}; its one grid is at step {only}.",
        _ => $"Run {id} has no preview grid at step {step}; it keeps {kept.Count} grids, at steps {kept[0]} to {kept[^1]}: GET previews lists them.",
    };
}
