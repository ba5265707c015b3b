using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using WebGen.Cli;
using WebGen.Tools.Cluster;
using WebGen.Tools.LoadBench;
using WebGen.Tools.ReviewsBench;

// ./webgen bench reviews [--count 100] [--json]: a class's batch of checkpoints through a real server's batch upload.
const string InstructorEmail = "instructor@bench.test";
const string InstructorPassword = "Bench-Instructor-1";
const string Pattern = "^(?<student>[^_]+)_(?<part>[a-z]+)\\.pt$";
string webApp, data, fixtures;
int count;
bool json;
try
{
    var line = new CommandLine("bench reviews", args, new HashSet<string> { "--json" });
    count = line.Int("--count", 100, 1, 1000);
    json = line.Switch("--json");
    webApp = line.OptionalString("--webapp") ?? throw new UsageException("--webapp WebGen.WebApp.dll is required (./webgen bench reviews gives it).");
    data = line.OptionalString("--data") ?? throw new UsageException("--data FOLDER (holding mnist/) is required (./webgen bench reviews gives it).");
    fixtures = line.String("--fixtures", Path.Combine("tests", "WebGen.Tests", "Fixtures", "pytorch"));
    line.EnsureAllUsed();
    foreach (var needed in new[] { webApp, Path.Combine(fixtures, "vae_zip.pt"), Path.Combine(fixtures, "gmvae_zip.pt") })
        if (!File.Exists(needed))
            throw new UsageException($"{needed}: no such file.");
}
catch (UsageException e)
{
    Console.Error.WriteLine($"webgen bench reviews: {e.Message}");
    return 2;
}

var folder = Directory.CreateTempSubdirectory("webgen-bench-reviews-").FullName;
try
{
    // The class's zip: student NNN's checkpoint, a VAE for even students and a GMVAE for odd ones, each its own weights.
    var clock = Stopwatch.StartNew();
    var originals = new[] { ("vae", File.ReadAllBytes(Path.Combine(fixtures, "vae_zip.pt"))), ("gmvae", File.ReadAllBytes(Path.Combine(fixtures, "gmvae_zip.pt"))) };
    var zipPath = Path.Combine(folder, "class.zip");
    await using (var zipFile = File.Create(zipPath))
    using (var zip = new ZipArchive(zipFile, ZipArchiveMode.Create))
        for (var i = 0; i < count; i++)
        {
            var (part, original) = originals[i % 2];
            await using var entry = zip.CreateEntry($"{StudentName(i)}_{part}.pt", CompressionLevel.Fastest).Open();
            await entry.WriteAsync(PerturbedCheckpoints.Of(original, seed: i));
        }
    Console.WriteLine($"{count} checkpoints generated from the PyTorch fixtures vae_zip.pt and gmvae_zip.pt (1% noise each), zipped: " +
        $"{new FileInfo(zipPath).Length / 1e6:F0} MB in {clock.Elapsed.TotalSeconds:F1} s");

    var runs = Path.Combine(folder, "runs");
    await using var server = await WebGenProcess.StartAsync(webApp, null, new Dictionary<string, string>
    {
        ["WebGen:Mode"] = "class",
        ["WebGen:Class:InstructorEmail"] = InstructorEmail,
        ["WebGen:Class:InstructorPassword"] = InstructorPassword,
        ["WebGen:Class:Registration"] = "open",
        ["ConnectionStrings:Runs"] = $"Data Source={Path.Combine(runs, "webgen.db")}",
        ["WebGen:RunsFolder"] = runs,
        ["WebGen:DataFolder"] = data,
        // One address registers the whole class and polls the batch: the limits on one address are not what is measured.
        ["WebGen:Security:ApiRequestsPerWindow"] = "100000",
        ["WebGen:Security:AccountFormPostsPerWindow"] = "100000",
        ["Logging:LogLevel:Default"] = "Warning",
    }, Path.Combine(folder, "server.log"));
    using var stop = new CancellationTokenSource(TimeSpan.FromHours(3));
    await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = stop.Token }, async (i, cancellationToken) =>
        (await Student.RegisterAsync(server.Address, $"{StudentName(i)}@bench.test", cancellationToken)).Dispose());
    using var instructor = await Student.SignInAsync(server.Address, InstructorEmail, InstructorPassword, stop.Token);
    var client = instructor.Client;
    var assignment = await ReadAsync(await client.PostAsJsonAsync("/api/assignments", new
    {
        title = "Bench",
        dueUtc = DateTime.UtcNow.AddDays(7),
        parts = new object[] { new { model = "vae" }, new { model = "gmvae" } },
    }, stop.Token));
    var assignmentId = assignment["id"]!.GetValue<Guid>();

    clock.Restart();
    JsonObject batch;
    await using (var zipStream = File.OpenRead(zipPath))
    {
        var file = new StreamContent(zipStream);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        batch = await ReadAsync(await client.PostAsync($"/api/assignments/{assignmentId}/batches",
            new MultipartFormDataContent { { file, "file", "class.zip" }, { new StringContent(Pattern), "pattern" } }, stop.Token));
    }
    var batchPath = $"/api/assignments/{assignmentId}/batches/{batch["id"]}";
    var matched = batch["entries"]!.AsArray().Count(e => e!["problem"] is null);
    if (matched != count)
        throw new InvalidOperationException($"the preview matched {matched} of {count} files: {batch.ToJsonString()}");
    var previewSeconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"batch uploaded, extracted and previewed: {count} of {count} files matched in {previewSeconds:F1} s");

    await ReadAsync(await client.PostAsync($"{batchPath}/confirm", null, stop.Token));
    JsonNode progress;
    var shown = -1;
    while (true)
    {
        progress = (await client.GetFromJsonAsync<JsonObject>(batchPath, stop.Token))!["progress"]!;
        var finished = progress["evaluated"]!.GetValue<int>() + progress["failed"]!.GetValue<int>();
        if (finished / 10 != shown / 10)
            Console.WriteLine($"  {clock.Elapsed.TotalSeconds,6:F0} s: {finished} of {count} evaluated");
        shown = finished;
        if (progress["pending"]!.GetValue<int>() == 0)
            break;
        await Task.Delay(500, stop.Token);
    }
    var seconds = clock.Elapsed.TotalSeconds;
    var (evaluated, failed, refused) = (progress["evaluated"]!.GetValue<int>(), progress["failed"]!.GetValue<int>(), progress["refused"]!.GetValue<int>());
    var perMinute = evaluated / (seconds / 60);
    Console.WriteLine($"{evaluated} submissions evaluated with the protocol ({failed} failed, {refused} refused) in {seconds:F1} s " +
        $"from the upload to the last grade: {perMinute:F1} submissions per minute on this machine ({Environment.ProcessorCount} cores)");
    if (json)
        Console.WriteLine(new JsonObject
        {
            ["count"] = count,
            ["evaluated"] = evaluated,
            ["failed"] = failed,
            ["refused"] = refused,
            ["preview_seconds"] = Math.Round(previewSeconds, 1),
            ["seconds"] = Math.Round(seconds, 3), // precise enough that count over seconds gives submissions_per_minute
            ["submissions_per_minute"] = Math.Round(perMinute, 2),
        }.ToJsonString());
    return failed + refused == 0 ? 0 : 1; // a figure over refused or failed files would not be the protocol's throughput
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static string StudentName(int i) => $"student{i:D4}";

static async Task<JsonObject> ReadAsync(HttpResponseMessage response)
{
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
        throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
    return JsonNode.Parse(body)!.AsObject();
}
