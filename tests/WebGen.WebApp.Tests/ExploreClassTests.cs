using System.Net;
using System.Net.Http.Json;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The latent explorer in class mode: a student explores their own models, never another student's.</summary>
public sealed class ExploreClassTests(ClassModeFactory app) : IClassFixture<ClassModeFactory>
{
    [Fact]
    public async Task AStudent_OpeningAnotherStudentsModelByUrl_GetsTheUsualRefusal_AndNoPicture()
    {
        using var alice = await app.NewStudentAsync("explore-alice@webgen.test");
        using var bob = await app.NewStudentAsync("explore-bob@webgen.test");
        var created = await alice.Client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 10, device = "cpu" }, app.Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var run = (await created.Content.ReadFromJsonAsync<RunState[]>(app.Json))!.Single();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
            while ((await alice.Client.GetFromJsonAsync<RunState>($"/api/runs/{run.Id}", app.Json, timeout.Token))!.Status != RunStatus.Completed)
                await Task.Delay(250, timeout.Token);

        foreach (var view in new[] { "interpolate", "traverse", "map", "mixture" })
        {
            var html = WebUtility.HtmlDecode(await bob.Client.GetStringAsync($"/explore?run={run.Id}&view={view}"));
            Assert.Contains($"Run {run.Id} belongs to another student", html);
            Assert.DoesNotContain("data:image/png", html);
        }
        var own = WebUtility.HtmlDecode(await alice.Client.GetStringAsync($"/explore?run={run.Id}"));
        Assert.Contains("data-testid=\"strip\"", own);
    }
}
