using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using WebGen.Compute.Evaluation;
using WebGen.Shared;
using WebGen.WebApp.Assignments;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>What the assignment tests share: setting an assignment, submitting to it, training a run, waiting.</summary>
public static class Assignments
{
    public static async Task<AssignmentState> CreateAsync(this Session instructor, WebGenFactory app, object request)
    {
        var response = await instructor.Client.PostAsJsonAsync("/api/assignments", request, app.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<AssignmentState>(app.Json))!;
    }

    public static Task<HttpResponseMessage> UploadAsync(this Session student, AssignmentState assignment, PartState part, string fixture) =>
        student.UploadAsync(assignment.Id, part.Id.ToString(), fixture, File.ReadAllBytes(ReviewsTests.Fixture(fixture)));

    public static Task<HttpResponseMessage> UploadAsync(this Session student, Guid assignment, string part, string fileName, byte[] bytes)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return student.Client.PostAsync($"/api/assignments/{assignment}/submissions",
            new MultipartFormDataContent { { file, "file", fileName }, { new StringContent(part), "part" } });
    }

    public static async Task<SubmissionState> SubmittedAsync(this HttpResponseMessage response, WebGenFactory app)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SubmissionState>(app.Json))!;
    }

    public static Task<HttpResponseMessage> SubmitRunAsync(this Session student, WebGenFactory app, AssignmentState assignment, PartState part, Guid run) =>
        student.Client.PostAsJsonAsync($"/api/assignments/{assignment.Id}/submissions", new { part = part.Id, run }, app.Json);

    /// <summary>Queues a run and waits until it has completed.</summary>
    public static async Task<RunState> TrainAsync(this Session student, WebGenFactory app, object options)
    {
        var response = await student.Client.PostAsJsonAsync("/api/runs", options, app.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<RunState[]>(app.Json))!.Single().Id;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8)); // generous: the CPU may be shared
        while (true)
        {
            var run = (await student.Client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json, timeout.Token))!;
            if (run.IsFinished)
            {
                Assert.Equal(RunStatus.Completed, run.Status);
                return run;
            }
            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Waits, as <paramref name="viewer"/>, until the submission's review has finished.</summary>
    public static async Task<SubmissionState> EvaluatedAsync(this Session viewer, WebGenFactory app, Guid id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        while (true)
        {
            var submission = (await viewer.Client.GetFromJsonAsync<SubmissionState>($"/api/submissions/{id}", app.Json, timeout.Token))!;
            if (submission.Status is ReviewStatus.Done or ReviewStatus.Failed)
                return submission;
            await Task.Delay(200, timeout.Token);
        }
    }
}

/// <summary>An assignment from start to end in class mode: set, submitted, evaluated, released, regraded, exported.</summary>
public sealed class AssignmentsTests(ClassModeFactory app) : IClassFixture<ClassModeFactory>
{
    private static int students;

    private Task<Session> NewStudentAsync() => app.NewStudentAsync($"student{Interlocked.Increment(ref students)}@assignments.test");

    private static object Homework(DateTime due) => new
    {
        title = "HW2",
        dueUtc = due,
        parts = new object[] { new { model = "ssvae", ssvaeGenWeight = 0 }, new { model = "ssvae", ssvaeGenWeight = 1, points = 5 } },
    };

    [Fact]
    public async Task AnAssignment_ARunAndAnUploadAreEvaluated_EachStudentSeesOnlyTheirOwn_AndOnlyOnceReleased()
    {
        using var instructor = await app.AsInstructorAsync();
        using var alice = await NewStudentAsync();
        using var bob = await NewStudentAsync();
        var hw = await instructor.CreateAsync(app, Homework(DateTime.UtcNow.AddDays(7)));
        Assert.Equal([Grading.SsvaeGw0Accuracy, Grading.SsvaeGw1Accuracy], hw.Parts.Select(p => p.Band)); // the grader's own bands by default
        var (gw0, gw1) = (hw.Parts[0], hw.Parts[1]);

        var run = await alice.TrainAsync(app, new { model = "ssvae", iterations = 20, device = "cpu", genWeight = 1 });
        var fromRun = await (await alice.SubmitRunAsync(app, hw, gw1, run.Id)).SubmittedAsync(app);
        var upload = await (await bob.UploadAsync(hw, gw0, "ssvae_legacy.pt")).SubmittedAsync(app);
        Assert.False(fromRun.Late);

        var aliceGraded = await instructor.EvaluatedAsync(app, fromRun.Id);
        var bobGraded = await instructor.EvaluatedAsync(app, upload.Id);
        Assert.Equal(ReviewStatus.Done, aliceGraded.Status);
        var pytorch = ReviewsTests.Protocol("ssvae").GetProperty("accuracy").GetDouble();
        Assert.Equal(pytorch, bobGraded.Value!.Value, 1e-6); // the protocol, exactly as a review computes it
        Assert.Equal((false, 0d), (bobGraded.Pass, bobGraded.Points)); // an untrained classifier fails the band
        Assert.True(aliceGraded.ProvenanceVerified);
        Assert.Equal((run.Id, alice.Email), (aliceGraded.Provenance!.RunId, aliceGraded.Provenance.OwnerName));
        (await instructor.Client.PutAsJsonAsync($"/api/submissions/{upload.Id}/comment", new { comment = "See the classifier's loss." })).EnsureSuccessStatusCode();

        var hidden = await alice.EvaluatedAsync(app, fromRun.Id);
        Assert.Equal((ReviewStatus.Done, (double?)null, (string?)null, (RunMetrics?)null), (hidden.Status, hidden.Points, hidden.Comment, hidden.Metrics));

        (await instructor.Client.PostAsJsonAsync($"/api/assignments/{hw.Id}/release", new { released = true })).EnsureSuccessStatusCode();
        var released = await bob.EvaluatedAsync(app, upload.Id);
        Assert.Equal((0d, "See the classifier's loss.", bobGraded.Value), (released.Points, released.Comment, released.Value));
        Assert.Null(released.WeightsHash); // the checks are the instructor's
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Client.GetAsync($"/api/submissions/{upload.Id}")).StatusCode);
        var alicesList = await alice.Client.GetFromJsonAsync<SubmissionState[]>($"/api/assignments/{hw.Id}/submissions", app.Json);
        Assert.Equal([fromRun.Id], alicesList!.Select(s => s.Id));
        var everyone = await instructor.Client.GetFromJsonAsync<SubmissionState[]>($"/api/assignments/{hw.Id}/submissions", app.Json);
        Assert.Equal(2, everyone!.Length);
    }

    [Fact]
    public async Task ASubmissionAfterTheDueDate_IsMarkedLate()
    {
        using var instructor = await app.AsInstructorAsync();
        using var student = await NewStudentAsync();
        var hw = await instructor.CreateAsync(app, Homework(DateTime.UtcNow.AddMinutes(-1)));
        var late = await (await student.UploadAsync(hw, hw.Parts[0], "ssvae_legacy.pt")).SubmittedAsync(app);
        Assert.True(late.Late);
    }

    [Fact]
    public async Task ARegrade_IsAskedAnsweredAndRegraded_AndEveryChangeIsKept()
    {
        using var instructor = await app.AsInstructorAsync();
        using var student = await NewStudentAsync();
        var hw = await instructor.CreateAsync(app, Homework(DateTime.UtcNow.AddDays(1)));
        var submitted = await (await student.UploadAsync(hw, hw.Parts[0], "ssvae_legacy.pt")).SubmittedAsync(app);
        var tooSoon = await student.Client.PostAsJsonAsync($"/api/submissions/{submitted.Id}/regrades", new { message = "Please look again." });
        Assert.Equal(HttpStatusCode.BadRequest, tooSoon.StatusCode);
        Assert.Contains("not released yet", (await tooSoon.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("detail").GetString());
        await instructor.EvaluatedAsync(app, submitted.Id);
        (await instructor.Client.PostAsJsonAsync($"/api/assignments/{hw.Id}/release", new { released = true })).EnsureSuccessStatusCode();

        var asked = await student.Client.PostAsJsonAsync($"/api/submissions/{submitted.Id}/regrades", new { message = "My accuracy is 0.74 on my machine." });
        var regrade = Assert.Single((await asked.SubmittedOkAsync(app)).Regrades);
        var again = await student.Client.PostAsJsonAsync($"/api/submissions/{submitted.Id}/regrades", new { message = "Hello?" });
        Assert.Contains("already has a regrade request waiting", await again.Content.ReadAsStringAsync());
        var queue = await instructor.Client.GetFromJsonAsync<SubmissionState[]>("/api/regrades", app.Json);
        Assert.Contains(queue!, s => s.Id == submitted.Id);

        var answered = await instructor.Client.PostAsJsonAsync($"/api/submissions/{submitted.Id}/regrades/{regrade.Id}/answer", new { answer = "Partial credit for the setup.", points = 4 });
        await answered.SubmittedOkAsync(app);
        var changed = await instructor.Client.PutAsJsonAsync($"/api/submissions/{submitted.Id}/points", new { points = 6, reason = "Rechecked the classifier." });
        await changed.SubmittedOkAsync(app);

        var seen = (await student.Client.GetFromJsonAsync<SubmissionState>($"/api/submissions/{submitted.Id}", app.Json))!;
        Assert.Equal(6, seen.Points);
        Assert.Equal("Partial credit for the setup.", Assert.Single(seen.Regrades).Answer);
        Assert.Equal([(0d, 4d, "Regrade: Partial credit for the setup."), (4d, 6d, "Rechecked the classifier.")],
            seen.History.Select(c => (c.FromPoints!.Value, c.ToPoints, c.Reason)));
    }

    [Fact]
    public async Task TheGradebook_HasOneRowPerStudentAndOneColumnPerPart_WithTheLatestSubmissionsPoints()
    {
        using var instructor = await app.AsInstructorAsync();
        using var student = await NewStudentAsync();
        var hw = await instructor.CreateAsync(app, Homework(DateTime.UtcNow.AddDays(1)));
        var submitted = await (await student.UploadAsync(hw, hw.Parts[1], "ssvae_legacy.pt")).SubmittedAsync(app);
        await instructor.EvaluatedAsync(app, submitted.Id);
        (await instructor.Client.PutAsJsonAsync($"/api/submissions/{submitted.Id}/points", new { points = 2.5, reason = "Partial." })).EnsureSuccessStatusCode();

        var csv = (await instructor.Client.GetStringAsync($"/api/assignments/{hw.Id}/gradebook.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["student,HW2: SSVAE gw=0 (10 points),HW2: SSVAE gw=1 (5 points),total,late", $"{student.Email},,2.5,2.5,"], csv);
    }

    [Fact]
    public async Task AStudent_CannotSetReleaseGradeExportOrSeeDuplicates_NorSubmitAnotherStudentsRun()
    {
        using var instructor = await app.AsInstructorAsync();
        using var alice = await NewStudentAsync();
        using var bob = await NewStudentAsync();
        var hw = await instructor.CreateAsync(app, Homework(DateTime.UtcNow.AddDays(1)));
        var submitted = await (await alice.UploadAsync(hw, hw.Parts[0], "ssvae_legacy.pt")).SubmittedAsync(app);

        foreach (var forbidden in new[]
        {
            await bob.Client.PostAsJsonAsync("/api/assignments", Homework(DateTime.UtcNow), app.Json),
            await alice.Client.PostAsJsonAsync($"/api/assignments/{hw.Id}/release", new { released = true }),
            await alice.Client.PutAsJsonAsync($"/api/submissions/{submitted.Id}/points", new { points = 10, reason = "I deserve it." }),
            await alice.Client.PutAsJsonAsync($"/api/submissions/{submitted.Id}/comment", new { comment = "Great work, me." }),
            await alice.Client.GetAsync($"/api/assignments/{hw.Id}/gradebook.csv"),
            await alice.Client.GetAsync($"/api/assignments/{hw.Id}/duplicates"),
            await alice.Client.GetAsync("/api/regrades"),
        })
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        // Another student's submission reads as none, whatever is asked of it.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Client.GetAsync($"/api/submissions/{submitted.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Client.PostAsJsonAsync($"/api/submissions/{submitted.Id}/regrades", new { message = "mine now" })).StatusCode);
        Assert.Empty((await bob.Client.GetFromJsonAsync<SubmissionState[]>($"/api/assignments/{hw.Id}/submissions", app.Json))!);

        var alicesRun = await alice.TrainAsync(app, new { model = "ssvae", iterations = 5, device = "cpu", genWeight = 0 });
        var stolen = await bob.SubmitRunAsync(app, hw, hw.Parts[0], alicesRun.Id);
        Assert.Equal(HttpStatusCode.BadRequest, stolen.StatusCode);
        Assert.Contains("you have no such run", await stolen.Content.ReadAsStringAsync());
        var wrongPart = await alice.SubmitRunAsync(app, hw, hw.Parts[1], alicesRun.Id);
        Assert.Contains("trained SSVAE gw=0; this part asks for SSVAE gw=1", await wrongPart.Content.ReadAsStringAsync());
        var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/assignments")).StatusCode);
    }

    [Fact]
    public async Task ThePages_NeedASignInAndShowAStudentNoOtherStudentsSubmission()
    {
        using var instructor = await app.AsInstructorAsync();
        using var alice = await NewStudentAsync();
        using var bob = await NewStudentAsync();
        var hw = await instructor.CreateAsync(app, Homework(DateTime.UtcNow.AddDays(1)));
        var submitted = await (await alice.UploadAsync(hw, hw.Parts[0], "ssvae_legacy.pt")).SubmittedAsync(app);

        var (anonymous, _) = app.ClientWithCookies(followRedirects: false);
        using var _anonymous = anonymous;
        foreach (var page in new[] { "/assignments", $"/assignments/{hw.Id}", $"/submissions/{submitted.Id}" })
            Assert.StartsWith("/account/login?ReturnUrl=", (await anonymous.GetAsync(page)).Headers.Location!.PathAndQuery);

        Assert.Contains("data-testid=\"unknown-submission\"", await bob.Client.GetStringAsync($"/submissions/{submitted.Id}"));
        var own = await alice.Client.GetStringAsync($"/submissions/{submitted.Id}");
        Assert.Contains("data-testid=\"not-released\"", own);
        Assert.DoesNotContain("data-testid=\"provenance\"", own);
        Assert.DoesNotContain("data-testid=\"set-points\"", own);
        Assert.DoesNotContain("data-testid=\"submission-row\"", await bob.Client.GetStringAsync($"/assignments/{hw.Id}"));
        Assert.Contains("data-testid=\"set-points\"", await instructor.Client.GetStringAsync($"/submissions/{submitted.Id}"));
    }

    [Fact]
    public async Task HostileInput_IsRefusedWithWhatIsWrongAndWhatIsAccepted()
    {
        using var instructor = await app.AsInstructorAsync();
        using var student = await NewStudentAsync();
        async Task<string> RefusedAsync(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("detail").GetString()!;
        }
        Assert.Contains("parts[0].points 1E+300: accepted are more than 0 and at most 1000",
            await RefusedAsync(await instructor.Client.PostAsJsonAsync("/api/assignments", new { title = "x", dueUtc = DateTime.UtcNow, parts = new[] { new { model = "vae", points = 1e300 } } })));
        Assert.Contains("parts[0].model fsvae: accepted values are vae, gmvae, ssvae",
            await RefusedAsync(await instructor.Client.PostAsJsonAsync("/api/assignments", new { title = "x", dueUtc = DateTime.UtcNow, parts = new[] { new { model = "fsvae" } } })));
        Assert.Contains("VAE is asked for twice",
            await RefusedAsync(await instructor.Client.PostAsJsonAsync("/api/assignments", new { title = "x", dueUtc = DateTime.UtcNow, parts = new[] { new { model = "vae" }, new { model = "vae" } } })));
        Assert.Contains("title: give the assignment a title (1 to 200 characters)",
            await RefusedAsync(await instructor.Client.PostAsJsonAsync("/api/assignments", new { title = new string('x', 1000), dueUtc = DateTime.UtcNow, parts = new[] { new { model = "vae" } } })));
        var huge = await instructor.Client.PostAsJsonAsync("/api/assignments", new { title = new string('x', 10_000_000), dueUtc = DateTime.UtcNow, parts = new[] { new { model = "vae" } } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains("$.dueUtc", await RefusedAsync(await instructor.Client.PostAsJsonAsync("/api/assignments", new { title = "x", dueUtc = "tomorrow", parts = Array.Empty<object>() })));
        Assert.Contains("grade", await RefusedAsync(await instructor.Client.PostAsJsonAsync("/api/assignments", new { title = "x", dueUtc = DateTime.UtcNow, parts = new[] { new { model = "vae" } }, grade = "A" })));

        var hw = await instructor.CreateAsync(app, Homework(DateTime.UtcNow.AddDays(1)));
        Assert.Contains("asks for the Python global posix.system", await RefusedAsync(await student.UploadAsync(hw, hw.Parts[0], "malicious_zip.pt")));
        Assert.Contains("give the id of one of the assignment's parts", await RefusedAsync(await student.UploadAsync(hw.Id, "'; drop table", "x.pt", [1, 2, 3])));
        Assert.Contains("asks for SSVAE gw=0", await RefusedAsync(await student.UploadAsync(hw.Id, Guid.NewGuid().ToString(), "x.pt", [1, 2, 3])));
        Assert.Contains("There is no assignment", await RefusedAsync(await student.UploadAsync(Guid.NewGuid(), Guid.NewGuid().ToString(), "x.pt", [1, 2, 3])));
        Assert.Contains("vae_zip.pt does not fit an SSVAE", await RefusedAsync(await student.UploadAsync(hw, hw.Parts[0], "vae_zip.pt"))); // a VAE's weights for the SSVAE
        var points = await instructor.Client.PutAsJsonAsync($"/api/submissions/{Guid.NewGuid()}/points", new { points = "ten", reason = "x" });
        Assert.Contains("$.points", await RefusedAsync(points));
    }
}

file static class Responses
{
    public static async Task<SubmissionState> SubmittedOkAsync(this HttpResponseMessage response, WebGenFactory app)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SubmissionState>(app.Json))!;
    }
}
