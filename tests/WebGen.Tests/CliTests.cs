using WebGen.Tests.Common;

namespace WebGen.Tests;

/// <summary>The command line as a user meets it: the real executable, its exit code and its one-line errors.</summary>
public class CliTests
{
    internal static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) =>
        DotnetProgram.Run(Path.Combine(AppContext.BaseDirectory, "webgen-cli.dll"), args);

    [Theory]
    [InlineData("--iterations 0", "--iterations 0: accepted values are 1 to 10000000.")]
    [InlineData("--iterations -5", "--iterations -5: accepted values are 1 to 10000000.")]
    [InlineData("--lr 0", "--lr 0: accepted values are greater than 0 and at most 1.")]
    [InlineData("--lr abc", "--lr abc: accepted values are greater than 0 and at most 1.")]
    [InlineData("--batch 60001", "--batch 60001: accepted values are 1 to 60000.")]
    [InlineData("--device tpu", "--device tpu: accepted values are auto, cpu, cuda.")]
    [InlineData("--itterations 10", "unknown flag --itterations for 'train'; accepted:")]
    [InlineData("--seed", "--seed needs a value.")]
    [InlineData("--gw -1", "--gw -1: accepted values are 0 to 1000.")]
    public void Train_BadFlag_ExitsWith2AndNamesTheFlagAndRange(string flags, string message)
    {
        var (exitCode, _, stderr) = Run(["train", "vae", .. flags.Split(' ')]);
        Assert.Equal(2, exitCode);
        Assert.StartsWith("webgen train: " + message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Train_UnknownModel_ListsTheModels()
    {
        var (exitCode, _, stderr) = Run("train", "gan");
        Assert.Equal(2, exitCode);
        Assert.Contains("unknown model 'gan'; accepted: vae, gmvae, ssvae", stderr);
    }

    [Fact]
    public void Eval_MissingCheckpoint_IsAClearError()
    {
        var (exitCode, _, stderr) = Run("eval", "vae", "--checkpoint", "/nonexistent/model-20000.pt");
        Assert.Equal(2, exitCode);
        Assert.Equal("webgen eval: --checkpoint /nonexistent/model-20000.pt: no such file.", stderr.Trim());
    }

    [Fact]
    public void Eval_PyTorchCheckpoint_GivesPyTorchsTestAccuracy()
    {
        var folder = Directory.CreateTempSubdirectory("webgen-cli-").FullName;
        try
        {
            var checkpoint = Path.Combine(folder, "model-30000.pt"); // a copy: eval writes samples.png beside it
            File.Copy(PyTorchCheckpointTests.Fixture("ssvae_legacy.pt"), checkpoint);
            var (exitCode, stdout, stderr) = Run("eval", "ssvae", "--checkpoint", checkpoint, "--device", "cpu",
                "--data", Path.GetDirectoryName(TestData.MnistFolder)!, "--json");
            Assert.True(exitCode == 0, stderr);
            using var json = System.Text.Json.JsonDocument.Parse(stdout);
            var root = json.RootElement;
            Assert.Equal(("ssvae", "pytorch-legacy", 64), (root.GetProperty("model").GetString(), root.GetProperty("format").GetString(), root.GetProperty("z_dim").GetInt32()));
            var pytorch = PyTorchCheckpointTests.Protocol("ssvae").GetProperty("accuracy").GetDouble();
            Assert.Equal(pytorch, root.GetProperty("accuracy").GetDouble(), 1e-6);
            Assert.Contains("SSVAE z=64 from a PyTorch checkpoint (pytorch-legacy): test accuracy", stderr);
            Assert.True(File.Exists(Path.Combine(folder, "samples.png")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("malicious_legacy.pt", "asks for the Python global posix.system, which a state dict never needs")]
    [InlineData("vae_wrong_shape.pt", "does not fit a VAE z=10: enc.net.0.weight: file has 300×794, VAE z=10 needs 300×784; missing dec.net.4.bias (784)")]
    public void Eval_BadPyTorchCheckpoint_IsOneLineWithExitCode2(string fixture, string message)
    {
        var checkpoint = PyTorchCheckpointTests.Fixture(fixture);
        var (exitCode, _, stderr) = Run("eval", "vae", "--checkpoint", checkpoint);
        Assert.Equal(2, exitCode);
        Assert.StartsWith("webgen eval: --checkpoint " + checkpoint, stderr);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("vae", "1", "webgen eval: --binarisations 1: accepted values are 2 to 1000.")]
    [InlineData("ssvae", "10", "webgen eval: --binarisations: accepted for vae and gmvae (judged on the binarised test subset), not ssvae.")]
    public void Eval_Binarisations_OutOfRangeOrForAModelJudgedOtherwise_IsAClearError(string model, string seeds, string message)
    {
        var (exitCode, _, stderr) = Run("eval", model, "--checkpoint", PyTorchCheckpointTests.Fixture("vae_zip.pt"), "--binarisations", seeds);
        Assert.Equal(2, exitCode);
        Assert.Equal(message, stderr.Trim());
    }

    [Fact]
    public void Eval_WithoutCheckpoint_SaysItIsRequired()
    {
        var (exitCode, _, stderr) = Run("eval", "vae");
        Assert.Equal(2, exitCode);
        Assert.Contains("--checkpoint PATH is required", stderr);
    }

    [Fact]
    public void UnknownVerb_ListsTheVerbs()
    {
        var (exitCode, _, stderr) = Run("frobnicate");
        Assert.Equal(2, exitCode);
        Assert.Contains("unknown verb 'frobnicate'", stderr);
    }

    [Fact]
    public void Train_TinyRunWithJson_EndsWithOneJsonObject()
    {
        var output = Directory.CreateTempSubdirectory("webgen-cli-").FullName;
        try
        {
            var (exitCode, stdout, stderr) = Run("train", "vae", "--iterations", "20", "--device", "cpu", "--out", output,
                "--data", Path.GetDirectoryName(TestData.MnistFolder)!, "--json");
            Assert.True(exitCode == 0, stderr);
            using var json = System.Text.Json.JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
            var root = json.RootElement;
            foreach (var key in new[] { "nelbo", "kl", "rec", "seconds", "ms_per_step" })
                Assert.True(root.GetProperty(key).GetDouble() > 0, key);
            Assert.Equal(4, root.GetProperty("iwae").EnumerateObject().Count());
            Assert.True(File.Exists(root.GetProperty("checkpoint").GetString()));
            Assert.True(File.Exists(root.GetProperty("grid").GetString()));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
    [Fact]
    public void DataSvhn_WithoutFrom_SaysWhereToGetEachMissingSplit()
    {
        var data = Directory.CreateTempSubdirectory("webgen-cli-").FullName;
        try
        {
            var (exitCode, stdout, _) = Run("data", "svhn", "--data", data);
            Assert.Equal(0, exitCode);
            foreach (var split in new[] { "train", "test", "extra" })
                Assert.Contains($"{split}_32x32.mat", stdout);
            Assert.Contains("missing", stdout);
            Assert.Contains("./webgen data svhn --from http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", stdout);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void DataSvhn_FromALocalFile_ImportsItAndPrintsCountAndDigits()
    {
        var data = Directory.CreateTempSubdirectory("webgen-cli-").FullName;
        try
        {
            var (exitCode, stdout, stderr) = Run("data", "svhn", "--from", SvhnTests.Fixture("compressed.mat"), "--data", data);
            Assert.True(exitCode == 0, stderr);
            Assert.Contains("12 images; digits 0–9: 2, 1, 1, 2, 1, 1, 1, 1, 1, 1", stdout);
            Assert.True(File.Exists(Path.Combine(data, "svhn", "compressed.mat")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void DataSvhn_OfficialNameWithAnotherMd5_IsRefusedAndNotKept()
    {
        var data = Directory.CreateTempSubdirectory("webgen-cli-").FullName;
        try
        {
            var impostor = Path.Combine(data, "train_32x32.mat");
            File.Copy(SvhnTests.Fixture("plain.mat"), impostor);
            var (exitCode, _, stderr) = Run("data", "svhn", "--from", impostor, "--data", data);
            Assert.Equal(2, exitCode);
            Assert.Contains("is not the published e26dedcc434d2e4c54c9b2d4a06d8373 of train_32x32.mat; refused", stderr);
            Assert.False(Directory.Exists(Path.Combine(data, "svhn")) && Directory.EnumerateFiles(Path.Combine(data, "svhn")).Any());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void TrainFsvae_WithoutSvhn_ExitsWith2AndSaysHowToImportIt()
    {
        var data = Directory.CreateTempSubdirectory("webgen-cli-").FullName;
        try
        {
            var (exitCode, _, stderr) = Run("train", "fsvae", "--iterations", "1", "--data", data);
            Assert.Equal(2, exitCode);
            Assert.StartsWith("webgen train: ", stderr);
            Assert.Contains("./webgen data svhn --from http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", stderr);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("bench vae --threads 0")]
    [InlineData("bench vae --threads 100000")]
    [InlineData("bench vae --threads two")]
    [InlineData("bench peer --threads -1")]
    public void Bench_ThreadsOutsideTheMachinesProcessors_ExitsWith2NamingTheRange(string command)
    {
        var (exitCode, _, stderr) = Run(command.Split(' '));
        Assert.Equal(2, exitCode);
        Assert.Equal($"webgen bench: --threads {command.Split(' ')[^1]}: accepted values are 1 to {Environment.ProcessorCount}.", stderr.Trim());
    }

    [Fact]
    public void BenchPeer_WithoutItsPython_ExitsWith2SayingWhatInstallsIt()
    {
        var (exitCode, _, stderr) = Run("bench", "peer", "--python", "/nonexistent/python3", "--reference",
            Path.Combine(TestData.RepoRoot, "tools", "crosscheck", "reference_training.py"));
        Assert.Equal(2, exitCode);
        Assert.Equal("webgen bench: no Python at /nonexistent/python3; ./webgen bench peer installs Debian's python3-torch.", stderr.Trim());
    }

    [Fact]
    public void BenchProfile_PrintsEachPhaseOfAStep_AndTheirSumAsTheStep()
    {
        var (exitCode, stdout, _) = Run("bench", "vae", "--profile", "--iterations", "20", "--threads", "1", "--device", "cpu",
            "--data", TestData.DataRoot, "--json");
        Assert.Equal(0, exitCode);
        var profile = System.Text.Json.Nodes.JsonNode.Parse(stdout.TrimEnd().Split('\n')[^1])!;
        var phases = new[] { "batch_ms", "forward_ms", "backward_ms", "optimizer_ms" }.Select(k => (double)profile[k]!).ToArray();
        Assert.All(phases, ms => Assert.True(ms > 0));
        Assert.Equal(phases.Sum() + ((double)profile["read_back_ms"]! / 50), (double)profile["step_ms"]!, precision: 6);
        Assert.Equal((1, 18), ((int)profile["threads"]!, (int)profile["steps"]!));
        // The VAE's six layers on 100 rows: forward and weight products each, input products for all but the first
        // (its input is the data): 2·100·(2·784·300 + 3·(300·300 + 300·20 + 10·300 + 300·300 + 300·784)) FLOP.
        Assert.Equal(6, (int)profile["products_layer_calls"]!);
        Assert.Equal(0.3486, (double)profile["products_gflop"]!, precision: 6);
        Assert.InRange((double)profile["products_ms"]!, 1e-3, (double)profile["step_ms"]! * 10);
    }
}
