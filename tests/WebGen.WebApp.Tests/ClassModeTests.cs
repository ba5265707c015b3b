using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>Class mode: who may see, watch and cancel which runs, on the pages, the JSON API and the hub alike.</summary>
public sealed class ClassModeTests(ClassModeFactory app) : IClassFixture<ClassModeFactory>
{
    private static int students;

    /// <summary>A student of one's own for each test: tests share the app, not their accounts.</summary>
    private Task<Session> NewStudentAsync() => app.NewStudentAsync($"student{Interlocked.Increment(ref students)}@webgen.test");

    private async Task<RunState> CreateAsync(Session session, object options)
    {
        var response = await session.Client.PostAsJsonAsync("/api/runs", options, app.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<RunState[]>(app.Json))!.Single();
    }

    /// <summary>A valid body for creating a run.</summary>
    private static object QuickRun => new { model = "vae", iterations = 20, device = "cpu" };

    [Fact]
    public async Task Anonymous_IsSentToLoginOnPages_Gets401FromTheApi_AndCannotConnectToTheHub()
    {
        var (client, _) = app.ClientWithCookies(followRedirects: false);
        using var _client = client;
        foreach (var page in new[] { "/", "/runs", $"/runs/{Guid.NewGuid()}", "/compare", "/styles", "/queue", "/class" })
        {
            var response = await client.GetAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/account/login?ReturnUrl=", response.Headers.Location!.PathAndQuery);
        }
        foreach (var api in new[] { "/api/runs", $"/api/runs/{Guid.NewGuid()}", "/api/queue" })
        {
            var response = await client.GetAsync(api);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("sign in first", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/runs", QuickRun, app.Json)).StatusCode);

        await using var hub = app.RunsHub();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // The sign-in and registration pages themselves are open.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/register")).StatusCode);
    }

    [Fact]
    public async Task AWrongPassword_IsRefusedWithAMessage()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.AsAsync(ClassModeFactory.InstructorEmail, "not-the-password"));
        Assert.Contains("Wrong e-mail or password.", refused.Message);
    }

    [Fact]
    public async Task AStudent_CannotListReadWatchOrCancelAnotherStudentsRun_AnInstructorCan()
    {
        using var alice = await NewStudentAsync();
        using var bob = await NewStudentAsync();
        using var instructor = await app.AsInstructorAsync();
        var run = await CreateAsync(alice, new { model = "vae", iterations = 30_000, device = "cpu" });
        Assert.Equal(alice.Email, run.Owner);
        try
        {
            // The API: the list leaves it out, everything about it is 403 with the reason.
            Assert.DoesNotContain((await bob.Client.GetFromJsonAsync<RunState[]>("/api/runs", app.Json))!, r => r.Id == run.Id);
            Assert.Contains((await alice.Client.GetFromJsonAsync<RunState[]>("/api/runs", app.Json))!, r => r.Id == run.Id);
            Assert.Contains((await instructor.Client.GetFromJsonAsync<RunState[]>("/api/runs", app.Json))!, r => r.Id == run.Id);
            foreach (var path in new[] { "", "/history", "/metrics.csv", "/metrics.json", "/grid.png", "/checkpoint", "/preview.png" })
            {
                var response = await bob.Client.GetAsync($"/api/runs/{run.Id}{path}");
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.Contains($"Run {run.Id} belongs to another student", await response.Content.ReadAsStringAsync());
            }
            Assert.Equal(HttpStatusCode.OK, (await alice.Client.GetAsync($"/api/runs/{run.Id}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await instructor.Client.GetAsync($"/api/runs/{run.Id}/history")).StatusCode);
            var cancel = await bob.Client.PostAsync($"/api/runs/{run.Id}/cancel", null);
            Assert.Equal(HttpStatusCode.Forbidden, cancel.StatusCode);
            Assert.False((await alice.Client.GetFromJsonAsync<RunState>($"/api/runs/{run.Id}", app.Json))!.IsFinished);

            // The hub: subscribing to someone else's run throws with the reason; the owner and the instructor watch.
            await using var bobHub = bob.RunsHub();
            await bobHub.StartAsync();
            var refused = await Assert.ThrowsAsync<HubException>(() => bobHub.InvokeAsync<RunState?>(nameof(IRunsHub.Subscribe), run.Id));
            Assert.Contains($"Run {run.Id} belongs to another student", refused.Message);
            foreach (var watcher in new[] { alice, instructor })
            {
                await using var hub = watcher.RunsHub();
                await hub.StartAsync();
                Assert.Equal(run.Id, (await hub.InvokeAsync<RunState?>(nameof(IRunsHub.Subscribe), run.Id))!.Id);
            }

            // The pages: Bob's runs list leaves it out and its page says whose it is; the instructor's list names the owner.
            Assert.DoesNotContain(run.Id.ToString(), await bob.Client.GetStringAsync("/runs"));
            Assert.Contains(run.Id.ToString(), await alice.Client.GetStringAsync("/runs"));
            var bobsView = await bob.Client.GetStringAsync($"/runs/{run.Id}");
            Assert.Contains("data-testid=\"not-yours\"", bobsView);
            Assert.DoesNotContain("data-testid=\"cancel\"", bobsView);
            Assert.Contains("data-testid=\"cancel\"", await alice.Client.GetStringAsync($"/runs/{run.Id}"));
            var instructorsList = await instructor.Client.GetStringAsync("/runs");
            Assert.Contains(run.Id.ToString(), instructorsList);
            Assert.Contains(alice.Email, instructorsList);
        }
        finally
        {
            // The instructor may cancel any student's run.
            Assert.Equal(HttpStatusCode.Accepted, (await instructor.Client.PostAsync($"/api/runs/{run.Id}/cancel", null)).StatusCode);
        }
    }

    [Fact]
    public async Task TheClassPage_IsForInstructorsOnly()
    {
        using var student = await NewStudentAsync();
        var (client, cookies) = app.ClientWithCookies(followRedirects: false);
        using var _ = client;
        cookies.Add(student.Cookies.GetAllCookies());
        var response = await client.GetAsync("/class");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/denied", response.Headers.Location!.PathAndQuery);

        using var instructor = await app.AsInstructorAsync();
        Assert.Contains("Invitation codes", await instructor.Client.GetStringAsync("/class"));
    }

    [Fact]
    public async Task Reviews_AreForInstructorsOnly_OnPagesAndTheApi()
    {
        using var student = await NewStudentAsync();
        var (client, cookies) = app.ClientWithCookies(followRedirects: false);
        using var _ = client;
        cookies.Add(student.Cookies.GetAllCookies());
        foreach (var page in new[] { "/reviews", $"/reviews/{Guid.NewGuid()}" })
        {
            var response = await client.GetAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/account/denied", response.Headers.Location!.PathAndQuery);
        }
        foreach (var api in new[] { "/api/reviews", "/api/reviews.csv", $"/api/reviews/{Guid.NewGuid()}" })
            Assert.Equal(HttpStatusCode.Forbidden, (await student.Client.GetAsync(api)).StatusCode);
        using var upload = new MultipartFormDataContent { { new StringContent("vae"), "model" }, { new StringContent("Ada"), "student" } };
        Assert.Equal(HttpStatusCode.Forbidden, (await student.Client.PostAsync("/api/reviews", upload)).StatusCode);

        using var instructor = await app.AsInstructorAsync();
        Assert.Equal(HttpStatusCode.OK, (await instructor.Client.GetAsync("/api/reviews")).StatusCode);
        Assert.StartsWith("student,", await instructor.Client.GetStringAsync("/api/reviews.csv"));
        Assert.Contains("Upload a checkpoint", await instructor.Client.GetStringAsync("/reviews"));
    }

    [Fact]
    public async Task Registration_IsOpenOrByInvitation_AsTheInstructorSwitchesIt()
    {
        var rules = app.Services.GetRequiredService<ClassRules>();
        var open = rules.Current;
        try
        {
            Assert.NotNull((await app.RegisterAsync("open@webgen.test", ClassModeFactory.StudentPassword)).Session);

            Assert.Empty(await rules.SaveAsync(open with { Registration = RegistrationMode.Invitation }));
            var (none, page) = await app.RegisterAsync("nocode@webgen.test", ClassModeFactory.StudentPassword);
            Assert.Null(none);
            Assert.Contains("Registration needs an invitation code from your instructor.", page);

            using var scope = app.Services.CreateScope();
            var code = (await scope.ServiceProvider.GetRequiredService<AccountService>().CreateInvitationsAsync(1)).Single();
            var (weak, weakPage) = await app.RegisterAsync("weak@webgen.test", "short", code);
            Assert.Null(weak);
            Assert.Contains("Passwords must be at least 8 characters.", weakPage);
            using var invited = (await app.RegisterAsync("invited@webgen.test", ClassModeFactory.StudentPassword, code.ToLowerInvariant())).Session;
            Assert.NotNull(invited); // the code survived the refused attempt, and is read in any case
            var (again, againPage) = await app.RegisterAsync("again@webgen.test", ClassModeFactory.StudentPassword, code);
            Assert.Null(again);
            Assert.Contains($"The invitation code {code} is unknown or has been used", againPage);
            Assert.Contains(await scope.ServiceProvider.GetRequiredService<AccountService>().InvitationsAsync(), i => i.Code == code && i.UsedBy == "invited@webgen.test");

            // A registered student is a Student: the instructor-only page refuses them.
            Assert.Contains("Only instructors can open that page.", await invited!.Client.GetStringAsync("/class"));
        }
        finally
        {
            await rules.SaveAsync(open);
        }
    }

    private async Task<RunState> StateAsync(Session session, Guid id) =>
        (await session.Client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json))!;

    private async Task<RunState> WaitForAsync(Session session, Guid id, Func<RunState, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var state = await session.Client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json, timeout.Token);
            if (done(state!)) return state!;
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>Runs the instructor's new limits for one test, then puts the previous ones back.</summary>
    private async Task<IAsyncDisposable> LimitsAsync(Func<ClassLimits, ClassLimits> change)
    {
        var rules = app.Services.GetRequiredService<ClassRules>();
        var before = rules.Current;
        Assert.Empty(await rules.SaveAsync(change(before)));
        return new Restore(() => rules.SaveAsync(before));
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }

    [Fact]
    public async Task AStudentsRun_IsHeldToTheInstructorsIterationAndQueueLimits_TheInstructorsIsNot()
    {
        await using var _ = await LimitsAsync(l => l with { MaxIterationsPerRun = 5000, MaxQueuedPerUser = 2, MaxRunningPerUser = 1 });
        using var student = await NewStudentAsync();
        using var instructor = await app.AsInstructorAsync();

        var tooLong = await student.Client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 5001, device = "cpu" }, app.Json);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("iterations 5001: accepted values are 1 to 5000 (the instructor's limit per run).", await tooLong.Content.ReadAsStringAsync());
        var tooMany = await student.Client.PostAsJsonAsync("/api/runs?replicates=3", new { model = "vae", iterations = 5000, device = "cpu" }, app.Json);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("You have 0 runs queued and may have at most 2 queued at once, so 3 more do not fit", await tooMany.Content.ReadAsStringAsync());

        // The instructor's own run is not limited; it holds the only slot, so the student's runs stay queued.
        var demo = await CreateAsync(instructor, new { model = "vae", iterations = 1_000_000, device = "cpu" });
        var created = new List<RunState> { demo };
        try
        {
            await WaitForAsync(instructor, demo.Id, s => s.Status == RunStatus.Running);
            created.Add(await CreateAsync(student, new { model = "vae", iterations = 5000, device = "cpu" }));
            created.Add(await CreateAsync(student, new { model = "vae", iterations = 5000, device = "cpu" }));
            var third = await student.Client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 100, device = "cpu" }, app.Json);
            Assert.Equal(HttpStatusCode.BadRequest, third.StatusCode);
            Assert.Contains("You have 2 runs queued and may have at most 2 queued at once: wait for one to start, or cancel one.", await third.Content.ReadAsStringAsync());

            // Cancelling one makes room.
            Assert.Equal(HttpStatusCode.Accepted, (await student.Client.PostAsync($"/api/runs/{created[1].Id}/cancel", null)).StatusCode);
            created.Add(await CreateAsync(student, new { model = "vae", iterations = 100, device = "cpu" }));
        }
        finally
        {
            foreach (var run in created)
                await instructor.Client.PostAsync($"/api/runs/{run.Id}/cancel", null);
        }
    }

    [Fact]
    public async Task TheQueue_ServesStudentsRoundRobin_ShowsPositions_AndStartsRunsInThatOrder()
    {
        await using var _ = await LimitsAsync(l => l with { MaxQueuedPerUser = 3, MaxRunningPerUser = 1 });
        using var instructor = await app.AsInstructorAsync();
        using var a = await NewStudentAsync();
        using var b = await NewStudentAsync();
        using var c = await NewStudentAsync();
        var blocker = await CreateAsync(instructor, new { model = "vae", iterations = 1_000_000, device = "cpu" });
        var all = new List<RunState> { blocker };
        try
        {
            await WaitForAsync(instructor, blocker.Id, s => s.Status == RunStatus.Running);
            var response = await a.Client.PostAsJsonAsync("/api/runs?replicates=3", new { model = "vae", iterations = 30_000, device = "cpu" }, app.Json);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var aRuns = (await response.Content.ReadFromJsonAsync<RunState[]>(app.Json))!;
            var bRun = await CreateAsync(b, new { model = "vae", iterations = 30_000, device = "cpu" });
            var cRun = await CreateAsync(c, new { model = "gmvae", iterations = 30_000, device = "cpu" });
            all.AddRange([.. aRuns, bRun, cRun]);
            Guid[] expected = [aRuns[0].Id, bRun.Id, cRun.Id, aRuns[1].Id, aRuns[2].Id];

            // The instructor sees every place with its run and owner; expected starts never go back in time.
            var queue = (await instructor.Client.GetFromJsonAsync<QueuedRunEstimate[]>("/api/queue", app.Json))!;
            Assert.Equal(expected, queue.Select(q => q.Run!.Id));
            Assert.Equal([1, 2, 3, 4, 5], queue.Select(q => q.Position));
            Assert.Equal(queue.Select(q => q.ExpectedStartUtc).Order(), queue.Select(q => q.ExpectedStartUtc));
            Assert.True(queue[0].ExpectedStartUtc > DateTime.UtcNow, "the first waits for the blocker's remaining steps");
            Assert.Equal(a.Email, queue[0].Run!.Owner);
            // A student sees their own place in full, the others' only as places.
            var bView = (await b.Client.GetFromJsonAsync<QueuedRunEstimate[]>("/api/queue", app.Json))!;
            Assert.Equal([1, 2, 3, 4, 5], bView.Select(q => q.Position));
            Assert.Equal([null, bRun.Id, null, null, null], bView.Select(q => q.Run?.Id));
            var page = await b.Client.GetStringAsync("/queue");
            Assert.Contains("another student&#x27;s run", page);
            Assert.Contains($"/runs/{bRun.Id}", page);
            Assert.DoesNotContain(aRuns[0].Id.ToString(), page);

            // Each cancel frees the slot for the next run in that order, and only that one.
            var running = blocker.Id;
            foreach (var next in expected)
            {
                Assert.Equal(HttpStatusCode.Accepted, (await instructor.Client.PostAsync($"/api/runs/{running}/cancel", null)).StatusCode);
                await WaitForAsync(instructor, next, s => s.Status == RunStatus.Running);
                foreach (var waiting in expected.SkipWhile(id => id != next).Skip(1))
                    Assert.Equal(RunStatus.Queued, (await StateAsync(instructor, waiting)).Status);
                running = next;
            }
        }
        finally
        {
            foreach (var run in all)
                await instructor.Client.PostAsync($"/api/runs/{run.Id}/cancel", null);
        }
    }
}
