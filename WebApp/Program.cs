using Microsoft.Extensions.FileProviders;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MudBlazor.Services;
using WebGen.WebApp;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Assignments;
using WebGen.WebApp.Cluster;
using WebGen.WebApp.Components;
using WebGen.WebApp.Data;
using WebGen.WebApp.Explorers;
using WebGen.WebApp.Gallery;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;
using WebGen.WebApp.Security;

var builder = WebApplication.CreateBuilder(args);
// ./webgen serve runs the build output, not a publish: serve package assets (MudBlazor, Blazor) from the build manifest.
builder.WebHost.UseStaticWebAssets();

builder.Services.AddOptions<WebGenOptions>().Bind(builder.Configuration.GetSection(WebGenOptions.Section))
    .PostConfigure(o => o.ResolveAgainst(builder.Environment.ContentRootPath));
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.Services.AddHealthChecks();
builder.Services.AddProblemDetails();
builder.AddSecurity();
builder.AddData();
builder.AddCluster();
builder.AddRuns(args);
builder.AddAccounts();
builder.AddReviews();
builder.AddAssignments();
builder.AddExplorers();
builder.AddGallery();
builder.Services.AddSingleton<DemoModels>();

var app = builder.Build();

// Before anything below touches a database (the job dashboard prepares its schema): a refusal comes at once.
try
{
    await app.Services.PrepareStoreAsync();
}
catch (InvalidOperationException refused)
{
    // Settings or a database this process cannot use: one line saying what is wrong and what is accepted.
    await Console.Error.WriteLineAsync(refused.Message);
    return 2;
}
if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebGenOptions>>().Value.MigrateOnly)
    return 0; // a deployment's one-shot migrate step (compose.yaml): the schema is ready, serve nothing

if (!app.Environment.IsDevelopment())
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
// Inside the pages' handler, so it answers first: scripts get JSON problems, where re-executing an API request as the
// HTML page would also turn a PUT into a 405.
app.UseWhen(http => RequestGuard.IsApi(http.Request.Path), api => api.UseStatusCodePages(RequestGuard.ApiStatusPage));
app.UseRequestGuard();
app.UseAuthentication();
app.UseRateLimiter(); // after authentication: signed-in users count as themselves, not as their address
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
// The repository's wwwroot-assets/ holds the app's own static files (styles, icons).
app.UseStaticFiles(new StaticFileOptions
{
    FileProvider = new PhysicalFileProvider(Path.GetFullPath(app.Configuration[$"{WebGenOptions.Section}:AssetsFolder"]
        ?? Path.Combine(app.Environment.ContentRootPath, "..", "wwwroot-assets"))),
});
app.MapHealthChecks("/healthz", new() { ResponseWriter = RunExecution.WriteHealth });
app.MapRunDashboard();
app.MapAccounts();
app.MapRunsApi();
app.MapGalleryApi();
app.MapDemoModelsApi();
app.MapReviewsApi().RequireAuthorization(ClassPolicies.Instructor); // reviews are for instructors (everyone in single mode)
app.MapAssignmentsApi();
app.MapHub<RunsHub>(RunsHub.Path);
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();
return 0;

/// <summary>Lets integration tests host the app with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
