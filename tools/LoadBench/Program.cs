using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using WebGen.Tools.LoadBench;

// ./webgen bench load: two students' runs train while other students flood the hub and the API, against the same
// run trained on the same server with nobody else around. Usage errors: one line, exit 2.
const string Usage = "usage: webgen bench load [--iterations 3000] [--connections 200] [--in-flight 32] [--flood-seconds 60] [--json]";
var settings = new Dictionary<string, string>();
var json = false;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] == "--json") { json = true; continue; }
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            throw new ArgumentException($"unexpected argument '{args[i]}'. {Usage}");
        settings[args[i]] = args[++i];
    }
    string[] known = ["--webapp", "--data", "--iterations", "--connections", "--in-flight", "--flood-seconds"];
    if (settings.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        throw new ArgumentException($"unknown flag {unknown}. {Usage}");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"webgen bench load: {e.Message}");
    return 2;
}

int Int(string flag, int fallback, int min, int max)
{
    if (!settings.TryGetValue(flag, out var text)) return fallback;
    return int.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value
        : throw new ArgumentException($"{flag} {text}: accepted values are whole numbers from {min} to {max}.");
}

int iterations, connections, inFlight, floodSeconds;
string webApp, data;
try
{
    (iterations, connections) = (Int("--iterations", 3000, 100, 100_000), Int("--connections", 200, 1, 2000));
    (inFlight, floodSeconds) = (Int("--in-flight", 32, 1, 1000), Int("--flood-seconds", 60, 1, 3600));
    webApp = settings.GetValueOrDefault("--webapp") ?? throw new ArgumentException("--webapp DLL is required (./webgen passes it).");
    data = Path.GetFullPath(settings.GetValueOrDefault("--data") ?? "data");
    if (!File.Exists(webApp)) throw new ArgumentException($"--webapp {webApp}: no such file; build first (./webgen setup).");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"webgen bench load: {e.Message}");
    return 2;
}

void Say(string line) => Console.Error.WriteLine($"[bench load] {line}");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var token = cancel.Token;

// The server runs with its default limits: whatever the flood gets past them is what a class would see.
const int Flooders = 10;
Say($"starting a class-mode WebGen (VAE runs of {iterations} steps; {connections} hub connections, {inFlight} calls in flight)");
await using var server = await Server.StartAsync(webApp, data, token);
using var alice = await Student.RegisterAsync(server.Address, "alice@bench.test", token);
using var bob = await Student.RegisterAsync(server.Address, "bob@bench.test", token);
var flooders = new List<Student>();
for (var i = 0; i < Flooders; i++)
    flooders.Add(await Student.RegisterAsync(server.Address, $"flood-{i:D2}@bench.test", token));

JsonObject Options() => new() { ["model"] = "vae", ["iterations"] = iterations, ["seed"] = 0, ["device"] = "cpu" };

async Task<JsonObject> FinishedAsync(Student owner, Guid id)
{
    while (true)
    {
        var run = await owner.RunAsync(id, token);
        switch (run["status"]!.GetValue<string>())
        {
            case "completed": return run;
            case "failed" or "cancelled": throw new InvalidOperationException($"run {id} of {owner.Email} {run["status"]}: {run["error"]}");
        }
        if (server.HasExited) throw new InvalidOperationException("the server process died");
        await Task.Delay(1000, token);
    }
}

static double MsPerStep(JsonObject run) => 1000 / run["progress"]!["stepsPerSecond"]!.GetValue<double>();

Say("undisturbed: alice's run trains with nobody else on the server");
var undisturbedId = await alice.QueueAsync(Options(), token);
var undisturbed = await FinishedAsync(alice, undisturbedId);
var undisturbedHistory = await alice.HistoryAsync(undisturbedId, token);
var memoryBefore = server.MemoryMegabytes;
Say($"undisturbed: {MsPerStep(undisturbed):F2} ms/step; server memory {memoryBefore:F0} MB");

Say($"disturbed: alice's and bob's runs train while {Flooders} other students flood for at least {floodSeconds} s");
var disturbedIds = new[] { await alice.QueueAsync(Options(), token), await bob.QueueAsync(Options(), token) };
var flood = new Flood(flooders, disturbedIds, connections, inFlight);
using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(token);
var clock = Stopwatch.StartNew();
var (serverCpu, benchCpu) = (server.CpuTime, Process.GetCurrentProcess().TotalProcessorTime);
var flooding = Task.Run(() => flood.RunAsync(stopFlood.Token), token);
var disturbed = new[] { await FinishedAsync(alice, disturbedIds[0]), await FinishedAsync(bob, disturbedIds[1]) };
var remaining = TimeSpan.FromSeconds(floodSeconds) - clock.Elapsed;
if (remaining > TimeSpan.Zero)
    await Task.Delay(remaining, token);
await stopFlood.CancelAsync();
await flooding;
var floodTime = clock.Elapsed.TotalSeconds;
// Where the cores went meanwhile: the server (training, the flood's answers) and this process (the flood itself).
(serverCpu, benchCpu) = (server.CpuTime - serverCpu, Process.GetCurrentProcess().TotalProcessorTime - benchCpu);
var histories = new[] { await alice.HistoryAsync(disturbedIds[0], token), await bob.HistoryAsync(disturbedIds[1], token) };
var peakMemory = server.PeakMemoryMegabytes;

// The same seed must train the same run: every loss both histories recorded, and the protocol's final numbers.
static Dictionary<int, (double, double, double)> Losses(JsonArray history) => history.ToDictionary(
    p => p!["step"]!.GetValue<int>(), p => (p!["loss"]!.GetValue<double>(), p["kl"]!.GetValue<double>(), p["rec"]!.GetValue<double>()));
var expected = Losses(undisturbedHistory);
var compared = 0;
var lossesEqual = true;
for (var i = 0; i < 2; i++)
{
    foreach (var (step, losses) in Losses(histories[i]).Where(p => expected.ContainsKey(p.Key)))
    {
        compared++;
        lossesEqual &= expected[step] == losses;
    }
    lossesEqual &= disturbed[i]["metrics"]!.ToJsonString() == undisturbed["metrics"]!.ToJsonString();
}
lossesEqual &= Losses(histories[0]).ContainsKey(iterations) && Losses(histories[1]).ContainsKey(iterations);

var disturbedMs = disturbed.Select(MsPerStep).ToArray();
var counts = flood.Counts;
Console.WriteLine($"VAE, {iterations} steps, one training slot: undisturbed {MsPerStep(undisturbed):F2} ms/step; " +
    $"under the flood alice {disturbedMs[0]:F2} and bob {disturbedMs[1]:F2} ms/step " +
    $"({100 * (disturbedMs.Average() / MsPerStep(undisturbed) - 1):+0.0;-0.0} %)");
Console.WriteLine($"flood: {floodTime:F0} s, {flood.Connected} of {connections} hub connections open, {counts.Total} calls " +
    $"({counts.Total / floodTime:F0}/s): {counts.Accepted} accepted, {counts.Refused} refused, {counts.Throttled} throttled (429), " +
    $"{counts.Failed} failed; {counts.LeakedUpdates} updates of the victims' runs reached a flooder");
Console.WriteLine($"CPU during the flood ({Environment.ProcessorCount} cores × {floodTime:F0} s): server {serverCpu.TotalSeconds:F0} s, " +
    $"the flooding clients {benchCpu.TotalSeconds:F0} s (on a class server they run on the students' machines)");
Console.WriteLine($"losses: {(lossesEqual ? "equal" : "DIFFERENT")} to the undisturbed run ({compared} recorded steps and the final metrics of both runs); " +
    $"server memory {memoryBefore:F0} MB before the flood, peak {peakMemory:F0} MB");
if (json)
{
    Console.WriteLine(new JsonObject
    {
        ["iterations"] = iterations,
        ["undisturbed_ms_per_step"] = MsPerStep(undisturbed),
        ["disturbed_ms_per_step"] = disturbedMs.Average(),
        ["disturbed_runs_ms_per_step"] = new JsonArray([.. disturbedMs.Select(m => (JsonNode?)m)]),
        ["losses_equal"] = lossesEqual,
        ["compared_steps"] = compared,
        ["peak_memory_mb"] = peakMemory,
        ["memory_before_flood_mb"] = memoryBefore,
        ["flood_seconds"] = floodTime,
        ["server_cpu_seconds"] = serverCpu.TotalSeconds,
        ["client_cpu_seconds"] = benchCpu.TotalSeconds,
        ["hub_connections"] = flood.Connected,
        ["calls"] = counts.Total,
        ["accepted"] = counts.Accepted,
        ["refused"] = counts.Refused,
        ["throttled"] = counts.Throttled,
        ["failed"] = counts.Failed,
        ["leaked_updates"] = counts.LeakedUpdates,
    }.ToJsonString());
}
return lossesEqual && counts.LeakedUpdates == 0 ? 0 : 1;
