using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// The models a person may explore — their own completed runs (every run for an instructor) and the demo models an
/// instructor marked for the class — and the marking itself, which only instructors may do.
/// </summary>
public sealed class DemoModels(IDbContextFactory<WebGenDb> dbFactory, RunLifecycle lifecycle)
{
    /// <summary>The completed runs <paramref name="viewer"/> may explore (<see cref="RunAccess"/>), newest first.</summary>
    public async Task<IReadOnlyList<RunState>> ExplorableAsync(Viewer viewer, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var completed = db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Completed);
        var candidates = viewer.IsInstructor ? completed : completed.Where(r => r.IsDemo || (viewer.UserId != null && r.OwnerId == viewer.UserId));
        var runs = await candidates.ToListAsync(cancellationToken);
        return [.. runs.OrderByDescending(r => r.CreatedUtc).Select(r => r.ToState()).Where(viewer.MayExplore)];
    }

    /// <summary>Marks or unmarks a completed run as a demo model; the refusal says why when it cannot be.</summary>
    public async Task<(RunState? Run, string? Refusal)> MarkAsync(Viewer by, Guid runId, bool demo, CancellationToken cancellationToken = default)
    {
        if (!by.IsInstructor)
            return (null, "Only instructors mark demo models.");
        string? refusal = null;
        var changed = await lifecycle.UpdateAsync(runId, attempt: null, r =>
        {
            if (r.Status != RunStatus.Completed)
            {
                refusal = $"Run {runId} is {r.Status.ToString().ToLowerInvariant()}; only completed runs can be demo models.";
                return false;
            }
            r.IsDemo = demo;
            return true;
        }, cancellationToken);
        return (changed, changed is null ? refusal ?? $"There is no run {runId}." : null);
    }
}

/// <summary>PUT /api/runs/{id}/demo marks a completed run as a demo model, DELETE unmarks it: instructors only.</summary>
public static class DemoModelsApi
{
    public static IEndpointRouteBuilder MapDemoModelsApi(this IEndpointRouteBuilder app)
    {
        var demo = app.MapGroup("/api/runs/{id:guid}/demo").RequireAuthorization(ClassPolicies.Instructor)
            .AddEndpointFilter(RunsApi.OnlyRunsTheViewerMaySee);
        demo.MapPut("/", (Guid id, ClaimsPrincipal user, ClassAccess access, DemoModels demos, CancellationToken cancellationToken) =>
            MarkAsync(demos, access.ViewerOf(user), id, demo: true, cancellationToken));
        demo.MapDelete("/", (Guid id, ClaimsPrincipal user, ClassAccess access, DemoModels demos, CancellationToken cancellationToken) =>
            MarkAsync(demos, access.ViewerOf(user), id, demo: false, cancellationToken));
        return app;
    }

    // The filter has answered 404 for an unknown run and the policy 403 for a student: what is left is a run not completed.
    private static async Task<Results<Ok<RunState>, ProblemHttpResult>> MarkAsync(
        DemoModels demos, Viewer by, Guid id, bool demo, CancellationToken cancellationToken)
    {
        var (run, refusal) = await demos.MarkAsync(by, id, demo, cancellationToken);
        return run is not null ? TypedResults.Ok(run) : TypedResults.Problem(refusal, statusCode: 409);
    }
}
