using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Gallery;
using WebGen.WebApp.Security;

namespace WebGen.WebApp.Runs;

/// <summary>The JSON API for scripts: create, list, read and cancel runs, and download what they produced.</summary>
public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").RequireAuthorization(ClassPolicies.Member);
        api.MapPost("/", async (HttpRequest request, string? replicates, ClaimsPrincipal user, ClassAccess access, RunCatalog runs,
            CancellationToken cancellationToken) =>
        {
            var count = 1;
            if (replicates is not null && !int.TryParse(replicates, NumberStyles.None, CultureInfo.InvariantCulture, out count))
                return JsonBody.BadRequest($"replicates {JsonBody.Cut(replicates)}: accepted values are whole numbers, e.g. ?replicates=3.");
            var (options, problem) = await ReadOptionsAsync(request, cancellationToken);
            if (options is null)
                return problem!;
            var (created, errors) = await runs.CreateAsync(access.ViewerOf(user), options, count, cancellationToken);
            return errors.Count > 0 ? Results.ValidationProblem(errors) : Results.Created($"/api/runs/{created[0].Id}", created);
        });
        api.MapGet("/", async (ClaimsPrincipal user, ClassAccess access, RunCatalog runs, CancellationToken cancellationToken) =>
            await runs.ListAsync(access.ViewerOf(user), cancellationToken));

        app.MapGet("/api/queue", async (ClaimsPrincipal user, ClassAccess access, QueueEstimates estimates, CancellationToken cancellationToken) =>
            await estimates.QueueAsync(access.ViewerOf(user), cancellationToken)).RequireAuthorization(ClassPolicies.Member);

        // Everything about one run: 404 for an unknown run, 403 for a student asking about another student's.
        var run = api.MapGroup("/{id:guid}").AddEndpointFilter(OnlyRunsTheViewerMaySee);
        run.MapGet("/", (HttpContext http) => Results.Ok(Checked(http)));
        run.MapPost("/cancel", async (Guid id, RunLifecycle lifecycle, RunCatalog runs, CancellationToken cancellationToken) =>
            await lifecycle.CancelAsync(id, cancellationToken) ? Results.Accepted($"/api/runs/{id}") : await CannotCancel(id, runs));
        run.MapGet("/history", async (Guid id, RunCatalog runs, CancellationToken cancellationToken) =>
            Results.Ok(await runs.HistoryAsync(id, cancellationToken)));
        run.MapGet("/metrics.json", async (Guid id, HttpContext http, RunCatalog runs, CancellationToken cancellationToken) =>
            Results.Json(new { run = Checked(http), history = await runs.HistoryAsync(id, cancellationToken) }, contentType: "application/json"));
        run.MapGet("/metrics.csv", async (Guid id, RunCatalog runs, CancellationToken cancellationToken) =>
            Results.File(Encoding.UTF8.GetBytes(Csv(await runs.HistoryAsync(id, cancellationToken))), "text/csv", $"run-{id:N}-metrics.csv"));
        run.MapGet("/grid.png", async (Guid id, RunCatalog runs, CancellationToken cancellationToken) =>
            Artifact((await runs.ArtifactsAsync(id, cancellationToken)).Grid, "image/png", $"run-{id:N}-samples.png", id, "sample grid"));
        run.MapGet("/checkpoint", async (Guid id, RunCatalog runs, CancellationToken cancellationToken) =>
            Artifact((await runs.ArtifactsAsync(id, cancellationToken)).Checkpoint, "application/octet-stream", null, id, "final checkpoint"));
        run.MapGet("/preview.png", (Guid id, RunGallery gallery) =>
            Artifact(gallery.Newest(id), "image/png", "preview.png", id, "preview grid"));
        return app;
    }

    /// <summary>
    /// The filter of every endpoint about one run ({id} in its route): 404 for an unknown run, 403 for a student asking
    /// about another student's; the run it found is in <see cref="Checked"/>.
    /// </summary>
    public static async ValueTask<object?> OnlyRunsTheViewerMaySee(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var id = Guid.Parse((string)http.GetRouteValue("id")!);
        var state = await http.RequestServices.GetRequiredService<RunCatalog>().GetAsync(id, http.RequestAborted);
        if (state is null)
            return NotFound(id);
        if (!http.RequestServices.GetRequiredService<ClassAccess>().ViewerOf(http.User).MaySee(state))
            return Results.Problem(Viewer.NotYours(id), statusCode: 403);
        http.Items[typeof(RunState)] = state;
        return await next(context);
    }

    /// <summary>The run the access filter found and let through.</summary>
    private static RunState Checked(HttpContext http) => (RunState)http.Items[typeof(RunState)]!;

    private const string BodyExample = "The body must be a JSON object of training options, e.g. {\"model\": \"ssvae\", \"iterations\": 2000}.";

    /// <summary>
    /// A run's options from a request body: the model's homework settings (<see cref="TrainingOptions.For"/>) with the
    /// body's fields in their place, so {"model": "ssvae"} means z = 64 and 30,000 steps, as in the course. Each field
    /// is read and checked by its row of <see cref="Hyperparameters"/>; every field that is wrong gets its own error,
    /// and a field that is not an option is refused by name: {"iteration": 5} must not quietly train 20,000 steps.
    /// </summary>
    private static async Task<(TrainingOptions? Options, IResult? Problem)> ReadOptionsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, BodyExample, cancellationToken);
        if (body is null)
            return (null, problem);
        var errors = new Dictionary<string, string[]>();
        var fields = body.Select(p => (Json: p, Field: Hyperparameters.All.FirstOrDefault(h => h.Name.Equals(p.Key, StringComparison.OrdinalIgnoreCase)))).ToList();
        foreach (var (json, _) in fields.Where(f => f.Field is null).Take(10))
            errors[JsonBody.Cut(json.Key)] = [$"{JsonBody.Cut(json.Key)} is not a training option; accepted fields are {string.Join(", ", Hyperparameters.All.Select(h => h.Name))}."];
        var modelText = fields.FirstOrDefault(f => f.Field == Hyperparameters.Model).Json.Value;
        var options = TrainingOptions.For(modelText is null ? ModelKind.Vae : ModelNames.Parse(Text(modelText) ?? "") ?? ModelKind.Vae);
        foreach (var (json, field) in fields)
        {
            if (field is null)
                continue;
            var isString = json.Value?.GetValueKind() == JsonValueKind.String;
            var text = json.Value is null ? null : Text(json.Value);
            // Names are JSON strings and numbers JSON numbers: {"iterations": "5"} is refused as {"model": 3} is.
            var parsed = text is not null && isString == field is Choice ? field.Parse(options, text) : null;
            if (parsed is null)
                errors[field.Name] = [field.Refusal(field.Name, JsonBody.Cut(isString ? text! : json.Value?.ToJsonString() ?? "null"))];
            else
                options = parsed;
        }
        return errors.Count > 0 ? (null, TypedResults.ValidationProblem(errors)) : (options, null);
    }

    /// <summary>A JSON string's text or a number as written; null for anything else (objects, arrays, true).</summary>
    private static string? Text(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.Number => value.ToJsonString(),
        _ => null,
    };

    /// <summary>Registers the runs' services, their execution (<see cref="RunExecution"/>) and the hub.</summary>
    public static WebApplicationBuilder AddRuns(this WebApplicationBuilder builder, string[] args)
    {
        builder.Services.AddSingleton<RunLifecycle>();
        builder.Services.AddSingleton<RunCatalog>();
        builder.Services.AddSingleton<QueueEstimates>();
        builder.AddRunExecution(args);
        builder.Services.ConfigureHttpJsonOptions(o => WebGenJson.Configure(o.SerializerOptions));
        builder.Services.AddSignalR(o => o.AddFilter<HubGuard>()).AddJsonProtocol(o => WebGenJson.Configure(o.PayloadSerializerOptions));
        return builder;
    }

    /// <summary>The metric history as CSV, one row per stored progress point.</summary>
    public static string Csv(IEnumerable<MetricPoint> history)
    {
        var csv = new StringBuilder("step,loss,kl,rec,steps_per_second,at_utc\n");
        foreach (var p in history)
            csv.AppendLine(CultureInfo.InvariantCulture, $"{p.Step},{p.Loss:R},{p.Kl:R},{p.Rec:R},{p.StepsPerSecond:F2},{p.AtUtc:O}");
        return csv.ToString();
    }

    private static IResult Artifact(string? path, string contentType, string? downloadName, Guid id, string what) =>
        path is not null && File.Exists(path)
            ? Results.File(path, contentType, downloadName ?? Path.GetFileName(path))
            : Results.Problem($"Run {id} has no {what} (yet).", statusCode: 404);

    private static IResult NotFound(Guid id) => Results.Problem($"There is no run {id}.", statusCode: 404);

    private static async Task<IResult> CannotCancel(Guid id, RunCatalog runs) =>
        await runs.GetAsync(id) is { } run
            ? Results.Problem($"Run {id} is {run.Status.ToString().ToLowerInvariant()}; only queued or running runs can be cancelled.", statusCode: 409)
            : NotFound(id);
}
