using System.Text.Json;
using System.Text.Json.Nodes;
using WebGen.Compute;
using WebGen.Compute.Data;
using WebGen.Compute.Training;
using WebGen.Shared;

namespace WebGen.Cli;

/// <summary>The verbs of <c>./webgen</c> that run Compute code: train, eval, data.</summary>
public static class Commands
{
    private static readonly HashSet<string> Switches = ["--json", "--help"];
    private static readonly string[] Models = ["vae"];

    public const string Usage = """
        usage: webgen <verb> [flags]
          train vae  [--iterations 20000] [--seed 0] [--run 0] [--batch 100] [--lr 1e-3] [--z 10]
                     [--checkpoint-every 10000] [--device auto|cpu|cuda] [--out runs] [--data data] [--json]
          eval vae   --checkpoint PATH [--device auto|cpu|cuda] [--data data] [--json]
          bench vae  [--iterations 1000] [--batch 100] [--device auto|cpu|cuda] [--data data] [--json]
                     ms/step of the trainer against a bare forward/backward/Adam loop
          data mnist [--data data] [--json]      check the MNIST files (counts, labels)
        """;

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
            JsonObject result = args[0] switch
            {
                "train" => Train(line, cancel.Token),
                "eval" => Eval(line, cancel.Token),
                "bench" => Bench(line, cancel.Token),
                "data" => Data(line),
                _ => throw new UsageException($"unknown verb '{args[0]}'; accepted: train, eval, bench, data."),
            };
            if (line.Switch("--json"))
                Console.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"webgen {args[0]}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataFileException or InvalidDataException or ArgumentException)
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

    private static JsonObject Train(CommandLine line, CancellationToken cancellationToken)
    {
        var model = ModelArgument(line);
        var options = new TrainingOptions
        {
            Model = model,
            Iterations = line.Int("--iterations", 20_000, 1, 10_000_000),
            Seed = line.Int("--seed", 0, 0, int.MaxValue),
            Run = line.Int("--run", 0, 0, 9999),
            BatchSize = line.Int("--batch", 100, 1, Mnist.TrainCount),
            LearningRate = line.Double("--lr", 1e-3, 0, 1),
            ZDim = line.Int("--z", 10, 1, 1024),
            CheckpointEvery = line.Int("--checkpoint-every", 10_000, 1, 10_000_000),
            Device = line.Choice("--device", "auto", Devices.Choices),
        };
        var dataDir = MnistFolder(line);
        var outDir = line.String("--out", "runs");
        var json = line.Switch("--json");
        line.EnsureAllUsed(positionals: 1);

        var report = json ? Console.Error : Console.Out;
        using var bar = new ProgressBar(Console.Error);
        var result = Experiment.TrainAndEvaluate(options, dataDir, outDir, bar, cancellationToken);
        bar.Finish();
        Summary.Write(report, result);
        return Summary.ToJson(result);
    }

    private static JsonObject Eval(CommandLine line, CancellationToken cancellationToken)
    {
        ModelArgument(line);
        var checkpoint = line.OptionalString("--checkpoint") ?? throw new UsageException("--checkpoint PATH is required.");
        var device = line.Choice("--device", "auto", Devices.Choices);
        var dataDir = MnistFolder(line);
        var json = line.Switch("--json");
        line.EnsureAllUsed(positionals: 1);

        var result = Experiment.EvaluateCheckpoint(checkpoint, dataDir, device, cancellationToken);
        Summary.Write(json ? Console.Error : Console.Out, result);
        return Summary.ToJson(result);
    }

    private static JsonObject Bench(CommandLine line, CancellationToken cancellationToken)
    {
        var options = new TrainingOptions
        {
            Model = ModelArgument(line),
            Iterations = line.Int("--iterations", 1000, 10, 1_000_000),
            BatchSize = line.Int("--batch", 100, 1, Mnist.TrainCount),
            Device = line.Choice("--device", "auto", Devices.Choices),
        };
        var dataDir = MnistFolder(line);
        var json = line.Switch("--json");
        line.EnsureAllUsed(positionals: 1);

        using var train = Mnist.LoadTrain(dataDir, Devices.Resolve(options.Device));
        var result = Benchmark.TrainingSpeed(options, train.Images, cancellationToken);
        (json ? Console.Error : Console.Out).WriteLine(
            $"{result.Model} on {result.Device}, {result.Steps} steps of batch {options.BatchSize}: trainer {result.TrainerMsPerStep:F2} ms/step, " +
            $"bare loop {result.BareMsPerStep:F2} ms/step, ratio {result.Overhead:F3}");
        return new JsonObject
        {
            ["model"] = options.Model.ToString().ToLowerInvariant(),
            ["device"] = result.Device,
            ["steps"] = result.Steps,
            ["batch"] = options.BatchSize,
            ["ms_per_step"] = result.TrainerMsPerStep,
            ["baseline_ms_per_step"] = result.BareMsPerStep,
            ["ratio"] = result.Overhead,
        };
    }

    private static JsonObject Data(CommandLine line)
    {
        var set = line.Positionals.FirstOrDefault() ?? throw new UsageException("name a data set: mnist.");
        if (set != "mnist") throw new UsageException($"unknown data set '{set}'; accepted: mnist.");
        var folder = MnistFolder(line);
        line.EnsureAllUsed(positionals: 1);
        using var train = Mnist.LoadTrain(folder, TorchSharp.torch.CPU);
        using var test = Mnist.LoadTest(folder, TorchSharp.torch.CPU);
        var perDigit = Enumerable.Range(0, 10).Select(d => train.Labels.Count(l => l == d)).ToArray();
        if (!line.Switch("--json"))
            Console.WriteLine($"MNIST in {folder}: {train.Count} training and {test.Count} test images; training digits 0–9: {string.Join(", ", perDigit)}");
        return new JsonObject
        {
            ["folder"] = folder,
            ["train"] = train.Count,
            ["test"] = test.Count,
            ["train_per_digit"] = JsonSerializer.SerializeToNode(perDigit),
        };
    }

    private static ModelKind ModelArgument(CommandLine line)
    {
        var name = line.Positionals.FirstOrDefault()
            ?? throw new UsageException($"name a model: {string.Join(", ", Models)}.");
        return Models.Contains(name) ? Enum.Parse<ModelKind>(name, ignoreCase: true)
            : throw new UsageException($"unknown model '{name}'; accepted: {string.Join(", ", Models)}.");
    }

    private static string MnistFolder(CommandLine line) => Path.Combine(line.String("--data", "data"), "mnist");
}
