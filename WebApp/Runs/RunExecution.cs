using System.Text.Json;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Where runs execute: one path for every deployment. Runs are jobs of Hangfire — on PostgreSQL's storage when the
/// app's database is PostgreSQL (several web and worker processes), in memory on SQLite (one process) — with
/// Hangfire's retries off (a run resumes from its checkpoint instead) and WebGen's <see cref="RunDispatcher"/> deciding
/// what starts. A worker process runs a job server with one job worker per slot (reviews have a server of their own).
/// </summary>
public static class RunExecution
{
    /// <summary>The Hangfire dashboard's path: instructors only (in single mode, the laptop's one user, read-only).</summary>
    public const string DashboardPath = "/hangfire";

    /// <summary>How often an idle worker asks PostgreSQL's job queue for a run.</summary>
    public static readonly TimeSpan QueuePollInterval = TimeSpan.FromSeconds(1);

    /// <param name="args">The command line, read for <c>--roles</c>.</param>
    public static WebApplicationBuilder AddRunExecution(this WebApplicationBuilder builder, string[] args)
    {
        builder.Configuration.AddCommandLine(args,
            new Dictionary<string, string> { ["--roles"] = $"{WebGenOptions.Section}:{nameof(WebGenOptions.Roles)}" });
        var roles = WebGenOptions.Read(builder.Configuration);
        // This host's own storage, not Hangfire's static one: test hosts in one process must not share their jobs.
        builder.Services.AddSingleton<JobStorage>(services =>
        {
            var settings = services.GetRequiredService<IOptions<WebGenOptions>>().Value;
            if (!settings.Database.Equals("postgres", StringComparison.OrdinalIgnoreCase))
                return new InMemoryStorage();
            var storage = new PostgreSqlStorageOptions
            {
                // A live worker keeps its job invisible; a dead one's job is fetched again after the lease.
                InvisibilityTimeout = settings.Worker.Lease,
                UseSlidingInvisibilityTimeout = true,
                QueuePollInterval = QueuePollInterval,
                PrepareSchemaIfNecessary = true,
            };
            var connection = services.GetRequiredService<IConfiguration>().GetConnectionString("Runs");
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(connection, storage), storage);
        });
        builder.Services.AddHangfire((services, hangfire) => hangfire
            .UseLogProvider(new HangfireLogs(services.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseFilter(new AutomaticRetryAttribute { Attempts = 0 })); // WebGen resumes from the checkpoint instead
        builder.Services.AddSingleton<WorkerHeartbeat>();
        // Stopped in reverse order: admission first, then the jobs (back to the queue), then the heartbeat.
        builder.Services.AddHostedService(services => services.GetRequiredService<WorkerHeartbeat>());
        if (roles.IsWorker)
            builder.Services.AddHangfireServer((services, server) =>
            {
                var settings = services.GetRequiredService<IOptions<WebGenOptions>>().Value;
                (server.WorkerCount, server.Queues) = (Math.Clamp(settings.Worker.Slots, 1, WorkerOptions.MaxSlots), [RunJob.Queue]);
                server.ServerName = services.GetRequiredService<WorkerHeartbeat>().Id;
            });
        builder.Services.AddTransient<RunJob>();
        builder.Services.AddHostedService<RunDispatcher>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealth>("database")
            .AddCheck<DeviceHealth>("device");
        return builder;
    }

    /// <summary>The refusal of settings this process cannot run with; null when they are fine.</summary>
    /// <param name="hasRedis">Whether ConnectionStrings:Redis is set.</param>
    public static string? Refusal(WebGenOptions settings, bool hasRedis)
    {
        if (settings.Roles is not (WebGenOptions.WebRole or WebGenOptions.WorkerRole or WebGenOptions.BothRoles))
            return $"WebGen:Roles {settings.Roles}: accepted values are web, worker, both.";
        if (settings.Roles != WebGenOptions.BothRoles && settings.Database.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            return $"WebGen:Roles {settings.Roles}: a split deployment (web and worker processes apart) needs WebGen:Database postgres; " +
                "SQLite serves one process — use --roles both.";
        if (settings.Roles != WebGenOptions.BothRoles && !hasRedis)
            return $"WebGen:Roles {settings.Roles}: a split deployment needs ConnectionStrings:Redis (e.g. \"redis:6379\"): the workers' " +
                "progress and results reach the front ends' pages and watchers through it.";
        return settings.Worker.Refusal();
    }

    /// <summary>The dashboard for instructors (the endpoint's policy decides; Hangfire's own local-only filter is replaced by it).</summary>
    public static void MapRunDashboard(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<WebGenOptions>>().Value;
        if (!settings.IsWeb)
            return;
        app.MapHangfireDashboard(DashboardPath, storage: app.Services.GetRequiredService<JobStorage>(), options: new DashboardOptions
        {
            Authorization = [],
            // Without accounts anyone who reaches the port is "the instructor": they may look, not delete or requeue.
            IsReadOnlyFunc = _ => !settings.IsClassMode,
            DisplayStorageConnectionString = false,
            AppPath = "/",
        }).RequireAuthorization(ClassPolicies.Instructor);
    }

    /// <summary>/healthz as JSON: the overall status and each check's (database; device on a worker).</summary>
    public static Task WriteHealth(HttpContext http, HealthReport report) =>
        http.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, JsonSerializerOptions.Web);

    private sealed class DatabaseHealth(IDbContextFactory<WebGenDb> dbFactory, IOptions<WebGenOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                return await db.Database.CanConnectAsync(cancellationToken)
                    ? HealthCheckResult.Healthy(options.Value.Database)
                    : HealthCheckResult.Unhealthy($"{options.Value.Database}: cannot connect");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"{options.Value.Database}: {e.Message}");
            }
        }
    }

    private sealed class DeviceHealth(WorkerHeartbeat worker, IOptions<WebGenOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(options.Value.IsWorker
                ? HealthCheckResult.Healthy($"worker {worker.Id}: {options.Value.Worker.Slots} slot(s) on {worker.Device}")
                : HealthCheckResult.Healthy("web only: trains nothing"));
    }
}
