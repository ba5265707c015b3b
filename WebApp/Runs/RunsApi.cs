using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WebGen.Shared;

namespace WebGen.WebApp.Runs;

/// <summary>The JSON API for scripts: create, list, read and cancel runs.</summary>
public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs");
        api.MapPost("/", async (TrainingOptions? options, RunService runs, CancellationToken cancellationToken) =>
        {
            if (options is null)
                return Results.Problem("The body must be a JSON object of training options, e.g. {\"model\": \"vae\", \"iterations\": 20000}.", statusCode: 400);
            var (run, errors) = await runs.CreateAsync(options, cancellationToken);
            return run is null
                ? Results.ValidationProblem(new Dictionary<string, string[]> { ["options"] = [.. errors] })
                : Results.Created($"/api/runs/{run.Id}", run);
        });
        api.MapGet("/", async (RunService runs, CancellationToken cancellationToken) => await runs.ListAsync(cancellationToken));
        api.MapGet("/{id:guid}", async (Guid id, RunService runs, CancellationToken cancellationToken) =>
            await runs.GetAsync(id, cancellationToken) is { } run ? Results.Ok(run) : NotFound(id));
        api.MapPost("/{id:guid}/cancel", async (Guid id, RunService runs, CancellationToken cancellationToken) =>
            await runs.CancelAsync(id, cancellationToken) ? Results.Accepted($"/api/runs/{id}") : await CannotCancel(id, runs));
        return app;
    }

    /// <summary>Registers the run store (SQLite, connection string "Runs"), the queue worker and the hub.</summary>
    public static WebApplicationBuilder AddRuns(this WebApplicationBuilder builder)
    {
        var connection = new SqliteConnectionStringBuilder(builder.Configuration.GetConnectionString("Runs") ?? "Data Source=../runs/webgen.db");
        connection.DataSource = Path.GetFullPath(connection.DataSource, builder.Environment.ContentRootPath);
        Directory.CreateDirectory(Path.GetDirectoryName(connection.DataSource)!);
        builder.Services.AddDbContextFactory<RunsDb>(o => o.UseSqlite(connection.ToString()));
        builder.Services.AddSingleton<RunService>();
        builder.Services.AddHostedService<RunWorker>();
        builder.Services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));
        builder.Services.AddSignalR().AddJsonProtocol(o => Configure(o.PayloadSerializerOptions));
        return builder;
    }

    /// <summary>Models by name ("vae"), and the NaN a single run's standard error may hold.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
    }

    private static IResult NotFound(Guid id) => Results.Problem($"There is no run {id}.", statusCode: 404);

    private static async Task<IResult> CannotCancel(Guid id, RunService runs) =>
        await runs.GetAsync(id) is { } run
            ? Results.Problem($"Run {id} is {run.Status.ToString().ToLowerInvariant()}; only queued or running runs can be cancelled.", statusCode: 409)
            : NotFound(id);
}
