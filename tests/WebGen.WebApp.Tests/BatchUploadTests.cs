using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using WebGen.WebApp.Assignments;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Tests;

/// <summary>The class mode with small batch limits, so the hostile zips stay small.</summary>
public sealed class BatchFactory() : ClassModeFactory(new Dictionary<string, string?>
{
    ["WebGen:Assignments:MaxBatchBytes"] = (24L * 1024 * 1024).ToString(),
    ["WebGen:Assignments:MaxBatchEntries"] = "50",
    ["WebGen:Assignments:MaxBatchExpandedBytes"] = (40L * 1024 * 1024).ToString(),
    ["WebGen:MaxUploadBytes"] = (16L * 1024 * 1024).ToString(),
});

/// <summary>
/// An instructor's batch upload: a zip of the class's checkpoints, previewed with a name pattern, confirmed, then each
/// matched file submitted and evaluated like a student's upload; every bad file listed with its reason, nothing run.
/// </summary>
public sealed class BatchUploadTests(BatchFactory app) : IClassFixture<BatchFactory>
{
    private static int classes;

    /// <summary>A zip of the given entries, each stored under its name exactly (unsafe names included).</summary>
    public static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var memory = new MemoryStream();
        using (var archive = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
            {
                using var stream = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
                stream.Write(bytes);
            }
        return memory.ToArray();
    }

    private static byte[] Fixture(string name) => File.ReadAllBytes(ReviewsTests.Fixture(name));

    private static Task<HttpResponseMessage> UploadBatchAsync(Session session, Guid assignment, byte[] zip, string? part = null, string? pattern = null, string fileName = "class.zip")
    {
        var file = new ByteArrayContent(zip);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        var form = new MultipartFormDataContent { { file, "file", fileName } };
        if (part is not null)
            form.Add(new StringContent(part), "part");
        if (pattern is not null)
            form.Add(new StringContent(pattern), "pattern");
        return session.Client.PostAsync($"/api/assignments/{assignment}/batches", form);
    }

    private async Task<BatchState> CreatedAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<BatchState>(app.Json))!;
    }

    private static async Task<(HttpStatusCode Status, string Detail)> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!);
    }

    /// <summary>An instructor, a VAE assignment and students named "{prefix}alice", "{prefix}bob", … (prefixed per test, one class fixture).</summary>
    private async Task<(Session Instructor, AssignmentState Assignment, string Prefix)> ClassAsync(params string[] students)
    {
        var prefix = $"c{Interlocked.Increment(ref classes)}";
        foreach (var student in students)
            (await app.NewStudentAsync($"{prefix}{student}@batch.test")).Dispose();
        var instructor = await app.AsInstructorAsync();
        var assignment = await instructor.CreateAsync(app, new { title = "HW2 batch", dueUtc = DateTime.UtcNow.AddDays(7), parts = new object[] { new { model = "vae" } } });
        return (instructor, assignment, prefix);
    }

    [Fact]
    public async Task ABatch_SubmitsTheGoodFile_AndListsTheMaliciousTheWrongShapedAndTheUnmatchedWithTheirReasons_RunningNothing()
    {
        File.Delete("/tmp/webgen-malicious-checkpoint-ran");
        var (instructor, hw, c) = await ClassAsync("alice", "bob", "carol");
        using var _ = instructor;
        var zip = Zip(
            ($"{c}alice_1001_vae.pt", Fixture("vae_zip.pt")),
            ($"{c}bob_1002_vae.pt", Fixture("malicious_zip.pt")),
            ($"{c}carol/vae.pt", Fixture("vae_wrong_shape.pt")),
            ("nobody_1003_vae.pt", Fixture("vae_zip.pt")));

        var preview = await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, zip));
        Assert.Equal([$"{c}alice@batch.test", $"{c}bob@batch.test", $"{c}carol@batch.test"], preview.Entries.Where(e => e.IsMatched).Select(e => e.Student));
        Assert.All(preview.Entries.Where(e => e.IsMatched), e => Assert.Equal("VAE", e.Part));
        Assert.Equal("unmatched: \"nobody\" is no student of the class.", preview.Entries.Single(e => e.Name == "nobody_1003_vae.pt").Problem);
        Assert.Empty(await instructor.Client.GetFromJsonAsync<SubmissionState[]>($"/api/assignments/{hw.Id}/submissions", app.Json) ?? []); // nothing before confirmation

        Assert.Equal(HttpStatusCode.Accepted, (await instructor.Client.PostAsync($"/api/assignments/{hw.Id}/batches/{preview.Id}/confirm", null)).StatusCode);
        var done = await FinishedAsync(instructor, hw.Id, preview.Id);

        var good = done.Entries.Single(e => e.Name.StartsWith($"{c}alice"));
        Assert.Equal((ReviewStatus.Done, (string?)null), (good.Status, good.Problem));
        Assert.Contains("asks for the Python global posix.system, which a state dict never needs", done.Entries.Single(e => e.Name.StartsWith($"{c}bob")).Problem);
        Assert.Contains("does not fit a VAE z=10", done.Entries.Single(e => e.Name.StartsWith($"{c}carol")).Problem);
        Assert.Equal(new BatchProgress(Files: 4, Refused: 3, Pending: 0, Evaluated: 1, Failed: 0), done.Progress);
        Assert.False(File.Exists("/tmp/webgen-malicious-checkpoint-ran"));
        var submitted = await instructor.Client.GetFromJsonAsync<SubmissionState[]>($"/api/assignments/{hw.Id}/submissions", app.Json);
        Assert.Equal([(good.SubmissionId!.Value, $"{c}alice@batch.test")], submitted!.Select(s => (s.Id, s.Student)));
    }

    private async Task<BatchState> FinishedAsync(Session instructor, Guid assignment, Guid batch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8)); // generous: the CPU may be shared
        while (true)
        {
            var state = (await instructor.Client.GetFromJsonAsync<BatchState>($"/api/assignments/{assignment}/batches/{batch}", app.Json, timeout.Token))!;
            if (state.Progress.IsFinished)
                return state;
            await Task.Delay(200, timeout.Token);
        }
    }

    [Fact]
    public async Task APatternWithAPartGroup_MapsEachFileToItsPart_AndAnEditedPatternMatchesAgain()
    {
        var (instructor, _, c) = await ClassAsync("dora");
        using var _ = instructor;
        var hw = await instructor.CreateAsync(app, new { title = "Two parts", dueUtc = DateTime.UtcNow.AddDays(7), parts = new object[] { new { model = "vae" }, new { model = "gmvae" } } });
        var zip = Zip(($"{c}dora-vae.pt", Fixture("vae_zip.pt")), ($"{c}dora-gmvae.pt", Fixture("gmvae_zip.pt")));

        var preview = await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, zip));
        Assert.All(preview.Entries, e => Assert.StartsWith("unmatched", e.Problem)); // the default pattern reads "c2dora-vae" as the name

        var rematched = await instructor.Client.PutAsJsonAsync($"/api/assignments/{hw.Id}/batches/{preview.Id}/pattern", new { pattern = "^(?<student>[^-]+)-(?<part>[a-z]+)\\.pt$" });
        var batch = (await rematched.Content.ReadFromJsonAsync<BatchState>(app.Json))!;
        Assert.Equal([("VAE", $"{c}dora@batch.test"), ("GMVAE", $"{c}dora@batch.test")], batch.Entries.Select(e => (e.Part!, e.Student!)));
    }

    [Fact]
    public async Task AZipBomb_IsRefused_AndAnEntryLargerThanACheckpoint_IsListedTooLarge()
    {
        var (instructor, hw, c) = await ClassAsync("erin");
        using var _ = instructor;
        var zeros = new byte[15 * 1024 * 1024]; // under one checkpoint's limit (16 MB), three over the batch's (40 MB)
        var bomb = Zip(("a.pt", zeros), ("b.pt", zeros), ("c.pt", zeros));
        Assert.True(bomb.Length < 1024 * 1024);
        var (status, detail) = await ProblemAsync(await UploadBatchAsync(instructor, hw.Id, bomb));
        Assert.Equal((HttpStatusCode.BadRequest, "class.zip: The zip expands to more than 40.0 MB (WebGen:Assignments:MaxBatchExpandedBytes); a class's checkpoints take 3 to 5 MB each. Split the batch."), (status, detail));

        var large = await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, Zip(($"{c}erin.pt", new byte[17 * 1024 * 1024]), ($"{c}erin2.pt", Fixture("vae_zip.pt")))));
        Assert.StartsWith("too large: 17.0 MB; a checkpoint is accepted up to 16.0 MB", large.Entries[0].Problem);
    }

    [Fact]
    public async Task TraversalAndAbsoluteNames_AreRefusedAndNothingIsWrittenOutsideTheBatch()
    {
        var (instructor, hw, c) = await ClassAsync("finn");
        using var _ = instructor;
        var runs = Path.Combine(Path.GetDirectoryName(app.DatabasePath)!, "runs");
        string[] names = ["../../escape.pt", $"{c}finn/../../../escape.pt", "/tmp/escape.pt", "..\\escape.pt", "C:/escape.pt"];
        var batch = await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, Zip([.. names.Select(n => (n, Fixture("vae_zip.pt")))])));

        Assert.All(batch.Entries, e => Assert.StartsWith("unsafe name", e.Problem));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(app.DatabasePath)!, "escape.pt", SearchOption.AllDirectories));
        Assert.False(File.Exists("/tmp/escape.pt"));
        Assert.False(Directory.Exists(Path.Combine(runs, "batches", batch.Id.ToString("N"), BatchZip.EntriesFolder)) && Directory.EnumerateFiles(Path.Combine(runs, "batches", batch.Id.ToString("N"), BatchZip.EntriesFolder)).Any());
        var (status, detail) = await ProblemAsync(await instructor.Client.PostAsync($"/api/assignments/{hw.Id}/batches/{batch.Id}/confirm", null));
        Assert.Equal((HttpStatusCode.BadRequest, "No file of this batch is matched to a student and a part; change the pattern or the part first."), (status, detail));
    }

    public static TheoryData<string, byte[], HttpStatusCode, string> HostileZips() => new()
    {
        { "not a zip", "this is no zip at all, just text"u8.ToArray(), HttpStatusCode.BadRequest, "The file is not a zip;" },
        { "an empty zip", Zip(), HttpStatusCode.BadRequest, "The zip is empty;" },
        { "only folders", Zip(("alice/", [])), HttpStatusCode.BadRequest, "The zip holds no files;" },
        { "a flood of entries", Zip([.. Enumerable.Range(0, 51).Select(i => ($"s{i}.pt", new byte[1]))]), HttpStatusCode.BadRequest, "The zip has 51 entries; a batch holds at most 50" },
        { "a truncated zip", Zip(("a.pt", new byte[1000]))[..60], HttpStatusCode.BadRequest, "The file is not a zip;" },
    };

    [Theory]
    [MemberData(nameof(HostileZips))]
    public async Task AHostileZip_IsAProblemNamingWhatIsWrong_AndTheServerCarriesOn(string what, byte[] zip, HttpStatusCode expected, string detail)
    {
        var (instructor, hw, _) = await ClassAsync();
        using var _ = instructor;
        var (status, problem) = await ProblemAsync(await UploadBatchAsync(instructor, hw.Id, zip));
        Assert.True((expected, true) == (status, problem.Contains(detail)), $"{what}: {status} {problem}");
        Assert.Equal(HttpStatusCode.OK, (await instructor.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task AnUploadOverTheBatchLimit_IsA413NamingTheLimit_BeforeItIsRead()
    {
        var (instructor, hw, _) = await ClassAsync();
        using var _ = instructor;
        var (status, detail) = await ProblemAsync(await UploadBatchAsync(instructor, hw.Id, new byte[25 * 1024 * 1024]));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "The zip is larger than the limit of 24.0 MB (WebGen:Assignments:MaxBatchBytes); split the class into several batches."), (status, detail));
    }

    [Theory]
    [InlineData("(unclosed", "not a regular expression")]
    [InlineData("^(?<name>.+)$", "has no group (?<student>…)")]
    [InlineData("", "give a regular expression of 1 to 500 characters")]
    public async Task ABadPattern_IsA400NamingIt(string pattern, string detail)
    {
        var (instructor, hw, c) = await ClassAsync("gus");
        using var _ = instructor;
        var batch = await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, Zip(($"{c}gus.pt", Fixture("vae_zip.pt")))));
        var (status, problem) = await ProblemAsync(await instructor.Client.PutAsJsonAsync($"/api/assignments/{hw.Id}/batches/{batch.Id}/pattern", new { pattern }));
        Assert.Equal((HttpStatusCode.BadRequest, true), (status, problem.Contains(detail)));
    }

    [Fact]
    public async Task ABacktrackingPattern_TimesOutPerName_AndLeavesTheFileUnmatched()
    {
        var (instructor, hw, _) = await ClassAsync();
        using var _ = instructor;
        var batch = await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, Zip((new string('a', 60) + "!", Fixture("vae_zip.pt"))), pattern: "^(?<student>(a+)+)$"));
        Assert.Equal("unmatched: the pattern took too long on this name; simplify it.", Assert.Single(batch.Entries).Problem);
    }

    [Fact]
    public async Task PreviewsNeverConfirmed_AreRemovedOldestFirstBeyondTheLimit_AndAConfirmedBatchStays()
    {
        var (instructor, hw, c) = await ClassAsync("ivy");
        using var _ = instructor;
        var zip = Zip(($"{c}ivy_1001_vae.pt", Fixture("vae_zip.pt")));
        var confirmed = await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, zip));
        Assert.Equal(HttpStatusCode.Accepted, (await instructor.Client.PostAsync($"/api/assignments/{hw.Id}/batches/{confirmed.Id}/confirm", null)).StatusCode);

        var previews = new List<BatchState>();
        for (var i = 0; i <= new AssignmentOptions().MaxUnconfirmedBatches; i++)
            previews.Add(await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, zip)));

        Assert.Equal(HttpStatusCode.NotFound, (await instructor.Client.GetAsync($"/api/assignments/{hw.Id}/batches/{previews[0].Id}")).StatusCode);
        foreach (var kept in previews.Skip(1).Append(confirmed))
            Assert.Equal(HttpStatusCode.OK, (await instructor.Client.GetAsync($"/api/assignments/{hw.Id}/batches/{kept.Id}")).StatusCode);
    }

    [Fact]
    public async Task AStudent_CannotUploadReadRematchOrConfirmABatch_NorSeeItsPage_AndAnotherAssignmentsIdsFindNothing()
    {
        var (instructor, hw, c) = await ClassAsync("hal");
        using var _ = instructor;
        using var student = await app.NewStudentAsync($"{c}student@batch.test");
        var batch = await CreatedAsync(await UploadBatchAsync(instructor, hw.Id, Zip(($"{c}hal.pt", Fixture("vae_zip.pt")))));
        var other = await instructor.CreateAsync(app, new { title = "Other", dueUtc = DateTime.UtcNow.AddDays(7), parts = new object[] { new { model = "vae" } } });

        foreach (var response in new[]
        {
            await UploadBatchAsync(student, hw.Id, Zip(($"{c}hal.pt", Fixture("vae_zip.pt")))),
            await student.Client.GetAsync($"/api/assignments/{hw.Id}/batches/{batch.Id}"),
            await student.Client.PutAsJsonAsync($"/api/assignments/{hw.Id}/batches/{batch.Id}/pattern", new { pattern = ".*(?<student>hal)" }),
            await student.Client.PostAsync($"/api/assignments/{hw.Id}/batches/{batch.Id}/confirm", null),
        })
            Assert.Equal((HttpStatusCode.Forbidden, AssignmentService.InstructorOnly), await ProblemAsync(response));
        Assert.Contains("data-testid=\"batch-refused\"", await student.Client.GetStringAsync($"/assignments/{hw.Id}/batches/{batch.Id}"));

        foreach (var response in new[]
        {
            await instructor.Client.GetAsync($"/api/assignments/{other.Id}/batches/{batch.Id}"),
            await instructor.Client.PostAsync($"/api/assignments/{other.Id}/batches/{batch.Id}/confirm", null),
            await instructor.Client.GetAsync($"/api/assignments/{hw.Id}/batches/{Guid.NewGuid()}"),
        })
            Assert.Equal(HttpStatusCode.NotFound, (await ProblemAsync(response)).Status);
        var (status, detail) = await ProblemAsync(await UploadBatchAsync(instructor, hw.Id, Zip(($"{c}hal.pt", Fixture("vae_zip.pt"))), part: other.Parts[0].Id.ToString()));
        Assert.Equal((HttpStatusCode.BadRequest, true), (status, detail.StartsWith($"part {other.Parts[0].Id}: assignment HW2 batch asks for VAE")));
        Assert.Equal(HttpStatusCode.NotFound, (await ProblemAsync(await UploadBatchAsync(instructor, Guid.NewGuid(), Zip(("a.pt", [1]))))).Status);
    }
}
