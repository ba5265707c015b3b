using System.Net;
using System.Net.Http.Json;
using Bunit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebGen.Shared;
using WebGen.WebApp.Runs;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Tests;

/// <summary>A class whose instructor set small maxima, on a server with an 8 GB memory budget per run.</summary>
public sealed class LimitsFactory() : ClassModeFactory(new()
{
    ["WebGen:Class:MaxBatchSizePerRun"] = "200",
    ["WebGen:Class:MaxZDimPerRun"] = "64",
    ["WebGen:Class:MaxKPerRun"] = "600",
    ["WebGen:Class:MinCheckpointEvery"] = "100",
    ["WebGen:Class:DiskQuotaMB"] = "1",
    ["WebGen:Worker:MemoryBudgetMB"] = "8192",
    ["WebGen:CheckpointEvery"] = "100",
});

/// <summary>What a run may cost: the instructor's maxima per field, the server's memory budget, the disk quota.</summary>
public sealed class LimitsTests(LimitsFactory app) : IClassFixture<LimitsFactory>
{
    private static int students;

    private Task<Session> NewStudentAsync() => app.NewStudentAsync($"limited{Interlocked.Increment(ref students)}@webgen.test");

    [Theory]
    [InlineData("batchSize", 201, "batchSize 201: accepted values are 1 to 200 (the instructor's limit per run).")]
    [InlineData("zDim", 65, "zDim 65: accepted values are 1 to 64 (the instructor's limit per run).")]
    [InlineData("k", 601, "k 601: accepted values are 1 to 600 (the instructor's limit per run).")]
    [InlineData("checkpointEvery", 99, "checkpointEvery 99: accepted values are 100 or more (the instructor's limit per run).")]
    public async Task AStudentsRun_OverAFieldsMaximum_IsRefusedNamingTheFieldValueAndAcceptedRange(string field, int value, string message)
    {
        using var student = await NewStudentAsync();
        var body = new Dictionary<string, object> { ["model"] = "gmvae", ["iterations"] = 100, ["device"] = "cpu", [field] = value };

        var response = await student.Client.PostAsJsonAsync("/api/runs", body, app.Json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheInstructorsRun_IsNotHeldToTheStudentsMaxima()
    {
        using var instructor = await app.AsInstructorAsync();
        var body = new { model = "gmvae", iterations = 100, device = "cpu", batchSize = 201, zDim = 65, k = 601, checkpointEvery = 99 };

        var response = await instructor.Client.PostAsJsonAsync("/api/runs", body, app.Json);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var run = (await response.Content.ReadFromJsonAsync<RunState[]>(app.Json))!.Single();
        await instructor.Client.PostAsync($"/api/runs/{run.Id}/cancel", null);
    }

    [Fact]
    public async Task ARunOverTheMemoryBudget_IsRefusedNamingTheEstimateAndTheBudget_EvenTheInstructors()
    {
        using var instructor = await app.AsInstructorAsync();
        var body = new { model = "gmvae", iterations = 100, device = "cpu", batchSize = 60000, zDim = 1024, k = 10000 };

        var response = await instructor.Client.PostAsJsonAsync("/api/runs", body, app.Json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Matches(@"a GMVAE with batch 60000, z 1024 and k 10000 needs about [\d,.]+ GB at its peak; " +
            @"this server's budget for a run is 8\.0 GB\.", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AStudentOverTheDiskQuota_CannotQueueARun_AndIsToldTheUsageAndTheQuota()
    {
        using var student = await NewStudentAsync();
        var finished = await AddFinishedRunAsync(student.Email, bytes: 2 * 1024 * 1024);

        var response = await student.Client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 100, device = "cpu" }, app.Json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"Your runs use 2.0 MB of disk and your quota is 1.0 MB: ask the instructor to delete some of your runs " +
            "or to raise your quota.", await response.Content.ReadAsStringAsync());
        Directory.Delete(app.Services.GetRequiredService<IOptions<WebGenOptions>>().Value.RunFolder(finished), recursive: true);
    }

    [Fact]
    public async Task AStudentsRun_WhoseFolderGrowsOverTheQuotaWhileTraining_Fails()
    {
        using var student = await NewStudentAsync();
        // A VAE checkpoint with Adam's state is several MB: the first one, at step 100, is over the 1 MB quota.
        var response = await student.Client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 5000, device = "cpu", checkpointEvery = 100 }, app.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var run = (await response.Content.ReadFromJsonAsync<RunState[]>(app.Json))!.Single();

        var final = await WaitForAsync(student, run.Id, s => s.IsFinished);

        Assert.Equal(RunStatus.Failed, final.Status);
        Assert.Matches(@"^This run's folder uses [\d.]+ MB of disk, over your quota of 1\.0 MB: it was stopped at step \d+\.", final.Error);
    }

    [Fact]
    public async Task TheClassPage_ShowsTheStudentsMaximaAndDiskQuota_ForTheInstructorToChange()
    {
        using var instructor = await app.AsInstructorAsync();

        var page = await instructor.Client.GetStringAsync("/class");

        foreach (var field in new[] { "max-batch-size", "max-z-dim", "max-k", "min-checkpoint-every", "disk-quota" })
            Assert.Contains($"data-testid=\"{field}\"", page);
    }

    /// <summary>A completed run of the student's, with a folder of <paramref name="bytes"/>, as an earlier run would leave.</summary>
    private async Task<Guid> AddFinishedRunAsync(string email, int bytes)
    {
        using var scope = app.Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync(email);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<WebGenDb>>().CreateDbContextAsync();
        var id = Guid.NewGuid();
        db.Runs.Add(new RunEntity
        {
            Id = id,
            Group = id,
            OptionsJson = JsonColumn.Write(TrainingOptions.For(ModelKind.Vae)),
            Status = RunStatus.Completed,
            CreatedUtc = DateTime.UtcNow,
            FinishedUtc = DateTime.UtcNow,
            OwnerId = user!.Id,
            OwnerName = email,
        });
        await db.SaveChangesAsync();
        var folder = app.Services.GetRequiredService<IOptions<WebGenOptions>>().Value.RunFolder(id);
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, "model-20000.pt"), new byte[bytes]);
        return id;
    }

    private async Task<RunState> WaitForAsync(Session session, Guid id, Func<RunState, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var state = (await session.Client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json, timeout.Token))!;
            if (done(state)) return state;
            await Task.Delay(100, timeout.Token);
        }
    }
}

/// <summary>A run whose worker dies under it is retried once, not forever.</summary>
public sealed class CrashLimitTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-crash-").FullName;
    private readonly Dictionary<string, string?> settings = [];

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task ARunWhoseWorkerDiedTwice_IsFailedSayingSo_GracefulStopsDoNotCount()
    {
        Guid id;
        using (var first = WebGenFactory.On(folder, settings))
        {
            using var client = first.CreateClient();
            var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 1_000_000, device = "cpu" }, first.Json);
            id = (await response.Content.ReadFromJsonAsync<RunState[]>(first.Json))![0].Id;
            await PollAsync(client, first, id, s => s.Status == RunStatus.Running);
        } // a graceful stop
        await DieWhileTrainingAsync(id, step: 1234);

        using (var second = WebGenFactory.On(folder, settings))
        {
            using var client = second.CreateClient();
            // One death: trained again, reporting steps of its own (every 50th), not the stored 1234 of the dead worker.
            await PollAsync(client, second, id, s => s.Status == RunStatus.Running && s.Progress is { } p && p.Step != 1234);
        }
        await DieWhileTrainingAsync(id, step: 2345);

        using var third = WebGenFactory.On(folder, settings);
        using var thirdClient = third.CreateClient();
        var final = await PollAsync(thirdClient, third, id, s => s.IsFinished);
        Assert.Equal(RunStatus.Failed, final.Status);
        Assert.Equal("The worker training this run died 2 times (last at step 2345); it is not retried again — queue it again to retry.", final.Error);
    }

    /// <summary>
    /// What the store holds when the worker is killed mid-run: the run still "running" at its last progress, taken by a
    /// worker that beats no more.
    /// </summary>
    private async Task DieWhileTrainingAsync(Guid id, int step)
    {
        var options = new DbContextOptionsBuilder<SqliteWebGenDb>().UseSqlite($"Data Source={Path.Combine(folder, "runs.db")};Pooling=False").Options;
        await using var db = new SqliteWebGenDb(options);
        var run = await db.Runs.SingleAsync(r => r.Id == id);
        (run.Status, run.Step, run.WorkerId) = (RunStatus.Running, step, $"dead-worker-{step}");
        await db.SaveChangesAsync();
    }

    private static async Task<RunState> PollAsync(HttpClient client, WebGenFactory app, Guid id, Func<RunState, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var state = (await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json, timeout.Token))!;
            if (done(state)) return state;
            await Task.Delay(100, timeout.Token);
        }
    }
}

/// <summary>The new-run form names the instructor's maxima inline, as the JSON API words them.</summary>
public sealed class LimitsFormTests : MudComponentTests
{
    private static readonly WebGen.WebApp.Accounts.ClassLimits Limits = new(
        WebGen.WebApp.Data.RegistrationMode.Open, MaxRunningPerUser: 1, MaxQueuedPerUser: 3, MaxIterationsPerRun: 30_000,
        MaxBatchSizePerRun: 200, MaxZDimPerRun: 64, MaxKPerRun: 600, MinCheckpointEvery: 100, DiskQuotaMB: 1024);

    [Theory]
    [InlineData("batch-size", "201", "batchSize 201: accepted values are 1 to 200 (the instructor's limit per run).")]
    [InlineData("z-dim", "65", "zDim 65: accepted values are 1 to 64 (the instructor's limit per run).")]
    [InlineData("k", "601", "k 601: accepted values are 1 to 600 (the instructor's limit per run).")]
    [InlineData("checkpoint-every", "99", "checkpointEvery 99: accepted values are 100 or more (the instructor's limit per run).")]
    public void AFieldOverTheInstructorsMaximum_IsMarkedWithTheAcceptedRange_AndTheRunCannotBeQueued(string testId, string value, string message)
    {
        var form = Context.Render<WebGen.WebApp.Components.Runs.RunForm>(p => p
            .Add(f => f.Model, ModelKind.Gmvae)
            .Add(f => f.Limits, Limits));
        Assert.False(form.Find("[data-testid=submit]").HasAttribute("disabled"));

        form.Find($"[data-testid={testId}] input, input[data-testid={testId}]").Input(value);

        form.WaitForAssertion(() => Assert.Contains(message, form.Markup));
        Assert.True(form.Find("[data-testid=submit]").HasAttribute("disabled"));
    }
}
