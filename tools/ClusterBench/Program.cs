using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using WebGen.Tools.Cluster;
using WebGen.Tools.ClusterBench;
using WebGen.WebApp.Tests;

// ./webgen bench cluster [--window 20] [--runs 2] [--json]: real WebGen processes, real PostgreSQL and Redis.
var options = Flags(args);
var webApp = options.GetValueOrDefault("webapp") ?? throw new ArgumentException("--webapp WebGen.WebApp.dll is required");
var data = options.GetValueOrDefault("data") ?? throw new ArgumentException("--data FOLDER is required");
var window = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("window") ?? "20", CultureInfo.InvariantCulture));
var runCount = int.Parse(options.GetValueOrDefault("runs") ?? "2", CultureInfo.InvariantCulture);
var json = options.ContainsKey("json");
const int KillSlots = 2; // the slot count that carries the most on this 2-core machine (measured below)
var folder = Directory.CreateTempSubdirectory("webgen-bench-cluster-").FullName;
var webGenJson = new JsonSerializerOptions(JsonSerializerDefaults.Web);

try
{
    var stepsPerSecond = new SortedDictionary<int, double>();
    foreach (var slots in (int[])[1, 2, 4])
    {
        stepsPerSecond[slots] = await ThroughputAsync(slots);
        Console.WriteLine($"slots {slots}: {stepsPerSecond[slots]:F1} steps/s in total (VAE, {slots} run(s) at once, one device)");
    }
    var (killToResume, lost, trainedTwice, latency) = await KillAsync();
    Console.WriteLine($"kill -9 of a worker mid-run: resumed on the other worker after {killToResume:F1} s; runs lost {lost}, trained twice {trainedTwice}");
    Console.WriteLine($"progress latency across front ends (worker report → watcher on the other front end, {latency.Count} updates): " +
        $"p50 {latency.P50:F0} ms, p95 {latency.P95:F0} ms");
    var best = stepsPerSecond.MaxBy(p => p.Value).Key;
    Console.WriteLine($"the slot count that maximises throughput here: {best}");
    if (json)
        Console.WriteLine(new JsonObject
        {
            ["steps_per_second"] = new JsonObject(stepsPerSecond.Select(p => KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)Math.Round(p.Value, 1)))),
            ["best_slots"] = best,
            ["kill_to_resume_s"] = Math.Round(killToResume, 2),
            ["runs_lost"] = lost,
            ["runs_trained_twice"] = trainedTwice,
            ["progress_latency_ms"] = new JsonObject { ["p50"] = Math.Round(latency.P50, 1), ["p95"] = Math.Round(latency.P95, 1), ["updates"] = latency.Count },
        }.ToJsonString());
    return 0;
}
finally
{
    Directory.Delete(folder, recursive: true);
}

// Total steps/s of `slots` endless VAE runs on one single-process server with that many slots, over the window.
async Task<double> ThroughputAsync(int slots)
{
    var runs = Path.Combine(folder, $"slots-{slots}");
    await using var server = await WebGenProcess.StartAsync(webApp, "both", new Dictionary<string, string>
    {
        ["ConnectionStrings:Runs"] = $"Data Source={Path.Combine(runs, "webgen.db")}",
        ["WebGen:RunsFolder"] = runs,
        ["WebGen:DataFolder"] = data,
        ["WebGen:Worker:Slots"] = slots.ToString(CultureInfo.InvariantCulture),
        ["Logging:LogLevel:Default"] = "Warning",
    }, Path.Combine(folder, $"slots-{slots}.log"), CancellationToken.None);
    using var client = new HttpClient { BaseAddress = server.Address };
    var ids = new List<Guid>();
    for (var i = 0; i < slots; i++)
        ids.Add(await CreateAsync(client, iterations: 1_000_000, seed: i));
    await UntilAsync(async () => (await StepsAsync(client, ids)).All(s => s > 0));
    await Task.Delay(TimeSpan.FromSeconds(3)); // past the first steps' warm-up
    var (before, clock) = ((await StepsAsync(client, ids)).Sum(), Stopwatch.StartNew());
    await Task.Delay(window);
    var after = (await StepsAsync(client, ids)).Sum();
    var rate = (after - before) / clock.Elapsed.TotalSeconds;
    foreach (var id in ids)
        await client.PostAsync($"/api/runs/{id}/cancel", null);
    return rate;
}

// Two web processes and two workers of `KillSlots` slots on PostgreSQL and Redis; `runCount` 700-step runs queued on
// the first web process, watched through the second's hub; the worker training the first run is killed at step 250.
// With no more runs than one worker's slots, the survivor always has a slot free: the time measured is the cluster's
// (the lease, the admission step, the job fetch, the resume), not a wait for another run to end.
async Task<(double KillToResume, int Lost, int TrainedTwice, ProgressWatch.Latency Latency)> KillAsync()
{
    var postgres = new PostgresServer();
    var redis = new RedisServer();
    await postgres.InitializeAsync();
    await redis.InitializeAsync();
    var processes = new List<WebGenProcess>();
    try
    {
        var connection = postgres.ConnectionString("bench");
        var settings = new Dictionary<string, string>(ClusterTiming.Settings)
        {
            ["WebGen:Worker:Slots"] = KillSlots.ToString(CultureInfo.InvariantCulture),
            ["WebGen:Database"] = "postgres",
            ["ConnectionStrings:Runs"] = connection,
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["WebGen:RunsFolder"] = Path.Combine(folder, "cluster"),
            ["WebGen:DataFolder"] = data,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        Task<WebGenProcess> Start(string role) =>
            WebGenProcess.StartAsync(webApp, role, settings, Path.Combine(folder, $"cluster-{role}-{processes.Count}.log"), CancellationToken.None);
        processes.Add(await Start("web"));
        processes.Add(await Start("worker"));
        processes.Add(await Start("worker"));
        var otherFrontEnd = await Start("web");
        processes.Add(otherFrontEnd); // stopped with the others
        using var client = new HttpClient { BaseAddress = processes[0].Address };
        await using var hub = new HubConnectionBuilder().WithUrl(new Uri(otherFrontEnd.Address, "/hubs/runs")).Build();
        await hub.StartAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < runCount; i++)
            ids.Add(await CreateAsync(client, iterations: 700, seed: i));
        var watches = new List<ProgressWatch>();
        foreach (var id in ids)
            watches.Add(await ProgressWatch.StartAsync(hub, id));
        await UntilAsync(async () => (await StepsAsync(client, [ids[0]]))[0] >= 250);

        await using var db = NpgsqlDataSource.Create(connection);
        var worker = (string?)await Scalar(db, """SELECT "WorkerId" FROM "Runs" WHERE "Id" = $1""", ids[0]);
        var victim = processes.Skip(1).Single(p => worker?.Contains($"-{p.ProcessId}-", StringComparison.Ordinal) == true);
        var stepAtKill = (await StepsAsync(client, [ids[0]]))[0];
        var clock = Stopwatch.StartNew();
        await victim.KillAsync();
        // The victim's runs reported the steps past their checkpoint twice: only those up to it are measured for latency.
        var measuredUpTo = new Dictionary<Guid, int>();
        foreach (var id in ids)
            measuredUpTo[id] = (string?)await Scalar(db, """SELECT "WorkerId" FROM "Runs" WHERE "Id" = $1""", id) == worker
                ? (int)(await Scalar(db, """SELECT "CheckpointStep" FROM "Runs" WHERE "Id" = $1""", id))!
                : int.MaxValue;
        // Resumed: a new progress report (only a live attempt can store one; the dead worker's step stays put).
        await UntilAsync(async () => (await StepsAsync(client, [ids[0]]))[0] != stepAtKill);
        var killToResume = clock.Elapsed.TotalSeconds;
        await UntilAsync(async () => (await StatesAsync(client, ids)).All(s => s.GetProperty("status").GetString() is not ("queued" or "running")));
        var lost = (await StatesAsync(client, ids)).Count(s => s.GetProperty("status").GetString() != "completed");
        var trainedTwice = 0;
        foreach (var id in ids)
        {
            var steps = (await client.GetFromJsonAsync<JsonElement[]>($"/api/runs/{id}/history"))!.Select(p => p.GetProperty("step").GetInt32()).ToList();
            if (steps.Distinct().Count() != steps.Count)
                trainedTwice++;
        }
        var latencies = new List<double>();
        foreach (var watch in watches)
            latencies.AddRange(watch.Milliseconds((await ProgressWatch.HistoryAsync(client, watch.RunId)).Where(p => p.Step <= measuredUpTo[watch.RunId])));
        return (killToResume, lost, trainedTwice, ProgressWatch.Summarise(latencies));
    }
    finally
    {
        foreach (var process in processes)
            await process.DisposeAsync();
        await postgres.DisposeAsync();
        await redis.DisposeAsync();
    }
}

static async Task<object?> Scalar(NpgsqlDataSource db, string sql, Guid run)
{
    await using var command = db.CreateCommand(sql);
    command.Parameters.Add(new NpgsqlParameter { Value = run });
    return await command.ExecuteScalarAsync();
}

async Task<Guid> CreateAsync(HttpClient client, int iterations, int seed)
{
    var response = await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations, seed, device = "cpu" });
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonElement[]>())![0].GetProperty("id").GetGuid();
}

async Task<List<JsonElement>> StatesAsync(HttpClient client, IEnumerable<Guid> ids)
{
    var states = new List<JsonElement>();
    foreach (var id in ids)
        states.Add(await client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}", webGenJson));
    return states;
}

async Task<List<int>> StepsAsync(HttpClient client, IEnumerable<Guid> ids) =>
    [.. (await StatesAsync(client, ids)).Select(s => s.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Object ? p.GetProperty("step").GetInt32() : 0)];

static async Task UntilAsync(Func<Task<bool>> done)
{
    var deadline = DateTime.UtcNow.AddMinutes(15);
    while (!await done())
    {
        if (DateTime.UtcNow > deadline)
            throw new TimeoutException("the cluster did not get there within 15 minutes");
        await Task.Delay(100);
    }
}

static Dictionary<string, string?> Flags(string[] args)
{
    var flags = new Dictionary<string, string?>();
    for (var i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException($"{args[i]}: expected a flag (--webapp, --data, --window, --runs, --json)");
        var name = args[i][2..];
        flags[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
    }
    return flags;
}
