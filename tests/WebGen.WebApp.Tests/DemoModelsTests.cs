using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;
using WebGen.WebApp.Styles;

namespace WebGen.WebApp.Tests;

/// <summary>
/// Demo models in class mode: an instructor marks a trained model, every student then explores it beside their own,
/// and never another student's — not in the list, not by a copied URL. Only instructors mark.
/// </summary>
public sealed class DemoModelsTests(DemoModelsTests.Class @class) : IClassFixture<DemoModelsTests.Class>
{
    /// <summary>A class with three short SSVAE runs, completed: the instructor's, Alice's and Bob's.</summary>
    public sealed class Class : IAsyncLifetime
    {
        public ClassModeFactory App { get; } = new();
        public Session Instructor { get; private set; } = null!;
        public Session Alice { get; private set; } = null!;
        public Session Bob { get; private set; } = null!;
        public RunState InstructorRun { get; private set; } = null!;
        public RunState AliceRun { get; private set; } = null!;
        public RunState BobRun { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Instructor = await App.AsInstructorAsync();
            Alice = await App.NewStudentAsync("alice@webgen.test");
            Bob = await App.NewStudentAsync("bob@webgen.test");
            InstructorRun = await TrainAsync(Instructor);
            AliceRun = await TrainAsync(Alice);
            BobRun = await TrainAsync(Bob);
        }

        private async Task<RunState> TrainAsync(Session session)
        {
            var response = await session.Client.PostAsJsonAsync("/api/runs", new { model = "ssvae", iterations = 10, device = "cpu" }, App.Json);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            var id = (await response.Content.ReadFromJsonAsync<RunState[]>(App.Json))![0].Id;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            while (true)
            {
                var run = (await session.Client.GetFromJsonAsync<RunState>($"/api/runs/{id}", App.Json, timeout.Token))!;
                if (run.Status == RunStatus.Completed)
                    return run;
                Assert.False(run.IsFinished, $"the run ended {run.Status}: {run.Error}");
                await Task.Delay(250, timeout.Token);
            }
        }

        public async Task DisposeAsync()
        {
            foreach (var session in new[] { Instructor, Alice, Bob })
                session?.Dispose();
            await App.DisposeAsync();
        }
    }

    private Task<HttpResponseMessage> MarkAsync(Session by, Guid run) => by.Client.PutAsync($"/api/runs/{run}/demo", null);

    private Task<IReadOnlyList<RunState>> ExplorableAsync(RunState ownRun) =>
        @class.App.Services.GetRequiredService<StyleExplorer>().RunsAsync(new Viewer(ownRun.OwnerId, ownRun.Owner, IsInstructor: false));

    [Fact]
    public async Task AStudent_ExploresTheirOwnModelsAndTheDemoModels_NeverAnotherStudents()
    {
        Assert.Equal(HttpStatusCode.OK, (await MarkAsync(@class.Instructor, @class.InstructorRun.Id)).StatusCode);

        var explorable = (await ExplorableAsync(@class.AliceRun)).Select(r => r.Id).ToList();

        Assert.Equal(new[] { @class.AliceRun.Id, @class.InstructorRun.Id }.Order(), explorable.Order());
        Assert.DoesNotContain(@class.BobRun.Id, explorable);
    }

    [Fact]
    public async Task ACopiedUrl_OfADemoModelOpens_OfAnotherStudentsModelShowsTheUsualRefusal()
    {
        Assert.Equal(HttpStatusCode.OK, (await MarkAsync(@class.Instructor, @class.InstructorRun.Id)).StatusCode);

        var demo = WebUtility.HtmlDecode(await @class.Alice.Client.GetStringAsync($"/styles?run={@class.InstructorRun.Id}"));
        var bobs = WebUtility.HtmlDecode(await @class.Alice.Client.GetStringAsync($"/styles?run={@class.BobRun.Id}"));

        Assert.Contains("data-testid=\"digits\"", demo);
        Assert.Contains(Viewer.NotYours(@class.BobRun.Id), bobs);
        Assert.DoesNotContain("data-testid=\"digits\"", bobs);
    }

    [Fact]
    public async Task AnUnmarkedDemoModel_IsRefusedToStudentsAgain()
    {
        Assert.Equal(HttpStatusCode.OK, (await MarkAsync(@class.Instructor, @class.BobRun.Id)).StatusCode);
        Assert.Contains(@class.BobRun.Id, (await ExplorableAsync(@class.AliceRun)).Select(r => r.Id));

        Assert.Equal(HttpStatusCode.OK, (await @class.Instructor.Client.DeleteAsync($"/api/runs/{@class.BobRun.Id}/demo")).StatusCode);

        Assert.DoesNotContain(@class.BobRun.Id, (await ExplorableAsync(@class.AliceRun)).Select(r => r.Id));
        Assert.Contains(Viewer.NotYours(@class.BobRun.Id), WebUtility.HtmlDecode(await @class.Alice.Client.GetStringAsync($"/styles?run={@class.BobRun.Id}")));
    }

    [Fact]
    public async Task AStudent_CannotMarkOrUnmarkDemoModels_TheirOwnIncluded()
    {
        foreach (var run in new[] { @class.AliceRun.Id, @class.BobRun.Id, @class.InstructorRun.Id })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await MarkAsync(@class.Alice, run)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await @class.Alice.Client.DeleteAsync($"/api/runs/{run}/demo")).StatusCode);
        }
        Assert.False((await @class.Instructor.Client.GetFromJsonAsync<RunState>($"/api/runs/{@class.AliceRun.Id}", @class.App.Json))!.IsDemo);
    }

    [Fact]
    public async Task MarkingAnUnknownOrUnfinishedRun_IsAJsonProblemSayingWhy()
    {
        var unknown = Guid.NewGuid();
        var notFound = await MarkAsync(@class.Instructor, unknown);
        var created = await @class.Instructor.Client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 30_000, device = "cpu" }, @class.App.Json);
        var unfinished = (await created.Content.ReadFromJsonAsync<RunState[]>(@class.App.Json))![0].Id;
        await @class.Instructor.Client.PostAsync($"/api/runs/{unfinished}/cancel", null);
        var conflict = await MarkAsync(@class.Instructor, unfinished);

        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Contains($"There is no run {unknown}", (await notFound.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("only completed runs can be demo models", (await conflict.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail);
    }

    [Fact]
    public async Task TheDemoSwitch_IsOnTheInstructorsRunPage_NotOnAStudents()
    {
        var student = await @class.Alice.Client.GetStringAsync($"/runs/{@class.AliceRun.Id}");
        var instructor = await @class.Instructor.Client.GetStringAsync($"/runs/{@class.AliceRun.Id}");

        Assert.DoesNotContain("data-testid=\"demo\"", student);
        Assert.Contains("data-testid=\"demo\"", instructor);
    }

    [Theory]
    [InlineData("previews")]
    [InlineData("previews/10.png")]
    [InlineData("previews.gif")]
    public async Task AnotherStudentsGallery_IsRefused_EvenForADemoModel(string path)
    {
        Assert.Equal(HttpStatusCode.OK, (await MarkAsync(@class.Instructor, @class.InstructorRun.Id)).StatusCode);

        foreach (var run in new[] { @class.BobRun.Id, @class.InstructorRun.Id })
        {
            var response = await @class.Alice.Client.GetAsync($"/api/runs/{run}/{path}");
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains(Viewer.NotYours(run), (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail);
        }
    }
}
