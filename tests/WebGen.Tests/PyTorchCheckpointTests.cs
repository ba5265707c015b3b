using Encoding = System.Text.Encoding;
using System.Text.Json;
using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// Checkpoints written by PyTorch 1.13 (Fixtures/pytorch/make_fixtures.py, Debian's python3-torch), both file
/// formats, loaded through our reader into our modules, and the values PyTorch computed for them.
/// </summary>
public sealed class PyTorchCheckpointTests(ITestOutputHelper output)
{
    /// <summary>Tensors agree to this absolute difference; bounds (hundreds of nats) to this relative one.</summary>
    internal const double Tolerance = 1e-5;

    /// <summary>What the malicious fixtures' command would create.</summary>
    private const string Marker = "/tmp/webgen-malicious-checkpoint-ran";

    public static string Fixture(string name) => Path.Combine(TestData.RepoRoot, "tests", "WebGen.Tests", "Fixtures", "pytorch", name);

    internal static JsonElement Reference(string model) =>
        JsonDocument.Parse(File.ReadAllText(Fixture($"{model}.json"))).RootElement;

    private static Tensor Values(JsonElement reference, string key, params long[] shape) =>
        tensor(reference.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).reshape(shape);

    /// <summary>What PyTorch computed with the evaluation protocol on MNIST for a fixture's weights.</summary>
    public static JsonElement Protocol(string model) => Reference(model).GetProperty("protocol");

    private static T Child<T>(GenerativeModel model, string name) where T : nn.Module =>
        (T)model.named_children().Single(c => c.name == name).module;

    private static double MaxDifference(Tensor ours, JsonElement reference, string key)
    {
        var expected = Values(reference, key, ours.shape);
        return (ours - expected).abs().max().item<float>();
    }

    private void AssertClose(Tensor ours, JsonElement reference, string key)
    {
        var difference = MaxDifference(ours, reference, key);
        output.WriteLine($"{key}: max |ours − PyTorch| = {difference:E2}");
        Assert.True(difference <= Tolerance, $"{key}: max |ours − PyTorch| = {difference:E2}");
    }

    private void AssertClose(Tensor ours, double expected, string what)
    {
        var value = ours.item<float>();
        output.WriteLine($"{what}: ours {value:R}, PyTorch {expected:R}, relative difference {Math.Abs(value - expected) / Math.Abs(expected):E2}");
        Assert.True(Math.Abs(value - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)),
            $"{what}: ours {value}, PyTorch {expected}");
    }

    /// <summary>Every tensor's shape, first five values (exactly) and sum, as PyTorch wrote them into the JSON.</summary>
    private static void AssertWeightsAsWritten(GenerativeModel model, JsonElement reference)
    {
        var parameters = model.state_dict();
        var expected = reference.GetProperty("params").EnumerateObject().ToList();
        Assert.Equal(expected.Select(p => p.Name).Order(), parameters.Keys.Order());
        foreach (var p in expected)
        {
            var ours = parameters[p.Name];
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), ours.shape);
            var first = ours.reshape(-1)[..5].data<float>().Select(v => (double)v);
            Assert.Equal(p.Value.GetProperty("first").EnumerateArray().Select(v => v.GetDouble()), first);
            var sum = p.Value.GetProperty("sum").GetDouble();
            Assert.InRange(ours.to(ScalarType.Float64).sum().item<double>(), sum - 1e-9 - 1e-12 * Math.Abs(sum), sum + 1e-9 + 1e-12 * Math.Abs(sum));
        }
    }

    [Theory]
    [InlineData("vae_zip.pt", CheckpointFormat.PyTorchZip)]
    [InlineData("vae_legacy.pt", CheckpointFormat.PyTorchLegacy)]
    public void Vae_BothFormats_ComputeWhatPyTorchComputes(string file, CheckpointFormat format)
    {
        using var loaded = ModelCheckpoint.Load(Fixture(file), ModelKind.Vae, CPU);
        Assert.Equal(format, loaded.Format);
        Assert.Equal(10, loaded.Options.ZDim);
        AssertLowerBoundModelAgrees((LatentVariableModel)loaded.Model, Reference("vae"), zDim: 10);
    }

    [Fact]
    public void Gmvae_ZipWithPickleProtocol4_ComputesWhatPyTorchComputes()
    {
        using var loaded = ModelCheckpoint.Load(Fixture("gmvae_zip.pt"), ModelKind.Gmvae, CPU);
        Assert.Equal((10, 500), (loaded.Options.ZDim, loaded.Options.K));
        AssertLowerBoundModelAgrees((LatentVariableModel)loaded.Model, Reference("gmvae"), zDim: 10);
    }

    private void AssertLowerBoundModelAgrees(LatentVariableModel model, JsonElement reference, int zDim)
    {
        AssertWeightsAsWritten(model, reference);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = Values(reference, "x", 3, 784);
        var (m, v) = Child<Encoder>(model, "enc").Encode(x);
        AssertClose(m, reference, "enc_m");
        AssertClose(v, reference, "enc_v");
        AssertClose(Child<Decoder>(model, "dec").Decode(Values(reference, "z", 3, zDim)), reference, "dec_logits");

        using (Utils.UseNoise(Values(reference, "eps", 3, zDim)))
        {
            var (nelbo, kl, rec) = model.NegativeElboBound(x);
            AssertClose(nelbo, reference.GetProperty("nelbo").GetDouble(), "NELBO");
            AssertClose(kl, reference.GetProperty("kl").GetDouble(), "KL");
            AssertClose(rec, reference.GetProperty("rec").GetDouble(), "Rec");
        }
        var iw = reference.GetProperty("iw").GetInt32();
        using (Utils.UseNoise(Values(reference, "eps_iw", iw * 3, zDim)))
        {
            var (niwae, kl, rec) = model.NegativeIwaeBound(x, iw);
            AssertClose(niwae, reference.GetProperty("niwae").GetDouble(), $"NIWAE-{iw}");
            AssertClose(kl, reference.GetProperty("iwae_kl").GetDouble(), $"IWAE-{iw} KL");
            AssertClose(rec, reference.GetProperty("iwae_rec").GetDouble(), $"IWAE-{iw} Rec");
        }
    }

    [Fact]
    public void Ssvae_Legacy_ComputesWhatPyTorchComputes()
    {
        using var loaded = ModelCheckpoint.Load(Fixture("ssvae_legacy.pt"), ModelKind.Ssvae, CPU);
        Assert.Equal(CheckpointFormat.PyTorchLegacy, loaded.Format);
        Assert.Equal(64, loaded.Options.ZDim);
        var model = (Ssvae)loaded.Model;
        var reference = Reference("ssvae");
        AssertWeightsAsWritten(model, reference);

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (x, y) = (Values(reference, "x", 3, 784), Values(reference, "y", 3, 10));
        var (m, v) = Child<Encoder>(model, "enc").Encode(x, y);
        AssertClose(m, reference, "enc_m");
        AssertClose(v, reference, "enc_v");
        AssertClose(Child<Decoder>(model, "dec").Decode(Values(reference, "z", 3, 64), y), reference, "dec_logits");
        AssertClose(model.Classify(x), reference, "cls_logits");
        using (Utils.UseNoise(Values(reference, "eps", 30, 64)))
        {
            var (nelbo, klZ, klY, rec) = model.NegativeElboBound(x);
            AssertClose(nelbo, reference.GetProperty("nelbo").GetDouble(), "NELBO");
            AssertClose(klZ, reference.GetProperty("kl_z").GetDouble(), "KL_z");
            AssertClose(klY, reference.GetProperty("kl_y").GetDouble(), "KL_y");
            AssertClose(rec, reference.GetProperty("rec").GetDouble(), "Rec");
        }
    }

    [Theory]
    [InlineData("malicious_zip.pt")] // STACK_GLOBAL, pickle protocol 4
    [InlineData("malicious_legacy.pt")] // GLOBAL, protocol 2
    public void MaliciousPickle_IsRefusedByNameAndNothingRuns(string file)
    {
        File.Delete(Marker);
        var error = Assert.Throws<UnsafePickleException>(() => ModelCheckpoint.Load(Fixture(file), ModelKind.Vae, CPU));
        Assert.Contains("posix.system", error.Message);
        Assert.Contains("collections.OrderedDict", error.Message); // what is accepted
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public void WrongShapes_AreAllListedAtOnce()
    {
        var error = Assert.Throws<CheckpointMismatchException>(() => ModelCheckpoint.Load(Fixture("vae_wrong_shape.pt"), ModelKind.Vae, CPU));
        Assert.Equal(
            ["enc.net.0.weight: file has 300×794, VAE z=10 needs 300×784", "missing dec.net.4.bias (784)", "unexpected cls.net.0.weight (300×784)"],
            error.Problems);
        Assert.StartsWith($"{Fixture("vae_wrong_shape.pt")} does not fit a VAE z=10: enc.net.0.weight: file has 300×794", error.Message);
    }

    [Fact]
    public void AnotherModelsCheckpoint_SaysWhichModelItLooksLike()
    {
        var error = Assert.Throws<CheckpointMismatchException>(() => ModelCheckpoint.Load(Fixture("ssvae_legacy.pt"), ModelKind.Vae, CPU));
        // The decoder's 74 inputs read as z = 74 for a VAE, so the encoder's last layer (2·64 outputs) disagrees.
        Assert.Contains("enc.net.4.weight: file has 128×300, VAE z=74 needs 148×300", error.Problems);
        Assert.Contains("enc.net.0.weight: file has 300×794, VAE z=74 needs 300×784", error.Problems);
        Assert.Contains("unexpected cls.net.4.bias (10)", error.Problems);
        Assert.EndsWith("It looks like an SSVAE checkpoint.", error.Message);
    }

    [Fact]
    public void WebGenCheckpoint_WithoutRunJson_IsReadFromItsShapes()
    {
        var folder = Directory.CreateTempSubdirectory("webgen-ckpt-").FullName;
        try
        {
            manual_seed(3);
            using var model = new Gmvae(zDim: 6, k: 7);
            var path = Path.Combine(folder, "model-00100.pt");
            model.save(path);
            using var loaded = ModelCheckpoint.Load(path, ModelKind.Gmvae, CPU);
            Assert.Equal((CheckpointFormat.WebGen, 6, 7), (loaded.Format, loaded.Options.ZDim, loaded.Options.K));
            foreach (var (name, parameter) in model.state_dict())
                Assert.True(parameter.eq(loaded.Model.state_dict()[name]).all().item<bool>(), name);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void OversizedUpload_IsRefusedWithTheLimit()
    {
        using var stream = File.OpenRead(Fixture("vae_zip.pt"));
        var error = Assert.Throws<CheckpointTooLargeException>(() => ModelCheckpoint.Load(stream, ModelKind.Vae, CPU, maxBytes: 1 << 20, "model.pt"));
        Assert.Equal("model.pt is larger than the limit of 1.0 MB; a homework checkpoint is 3 to 5 MB.", error.Message);
    }

    [Theory]
    [InlineData("not a checkpoint at all")]
    [InlineData("PK\u0003\u0004 truncated zip")]
    public void Garbage_IsAClearError(string content)
    {
        using var stream = new MemoryStream(Encoding.Latin1.GetBytes(content));
        var error = Assert.ThrowsAny<InvalidCheckpointException>(() => ModelCheckpoint.Load(stream, ModelKind.Vae, CPU, maxBytes: 1 << 20, "upload.pt"));
        Assert.StartsWith("upload.pt is ", error.Message);
    }

    [Fact]
    public void StackGlobalFromTheMemo_IsCheckedToo()
    {
        // PROTO 4; "builtins" MEMOIZE; BINGET 0; "eval": the module comes back from the memo, not a literal.
        byte[] pickle =
        [
            0x80, 4, 0x8c, 8, .. "builtins"u8, 0x94, 0x68, 0, 0x8c, 4, .. "eval"u8, 0x93,
            0x8c, 1, (byte)'1', 0x85, (byte)'R', (byte)'.',
        ];
        var error = Assert.Throws<UnsafePickleException>(() => PickleScanner.Scan(pickle, PyTorchStateDict.AllowedGlobals, "p"));
        Assert.StartsWith("p asks for the Python global builtins.eval", error.Message);
    }
}

/// <summary>The evaluation protocol on MNIST, draw for draw as PyTorch makes it, for a PyTorch 1.13 checkpoint.</summary>
[Collection(nameof(SeededDraws))]
public sealed class PyTorchProtocolTests(ITestOutputHelper output)
{
    /// <summary>
    /// The whole protocol (test subset binarised after seeding 0, NELBO over 100 calls, IWAE-1…1000) on MNIST: the
    /// same numbers as PyTorch's evaluate_lower_bound for these weights, since the random streams agree too. About
    /// 30 s, run alone: a test drawing random numbers on another thread would shift the draws.
    /// </summary>
    [Fact]
    public void VaeProtocolEvaluation_AgreesWithPyTorchs()
    {
        var folder = Directory.CreateTempSubdirectory("webgen-protocol-").FullName;
        try
        {
            var checkpoint = Path.Combine(folder, "model-20000.pt");
            File.Copy(PyTorchCheckpointTests.Fixture("vae_zip.pt"), checkpoint);
            var result = Experiment.EvaluateCheckpoint(checkpoint, ModelKind.Vae, TestData.DataRoot, "cpu");
            var ours = result.Metrics.LowerBound!;
            var pytorch = PyTorchCheckpointTests.Protocol("vae");
            void Near(double value, JsonElement expected, string what)
            {
                output.WriteLine($"{what}: ours {value:R}, PyTorch {expected.GetDouble():R}");
                Assert.True(Math.Abs(value - expected.GetDouble()) <= PyTorchCheckpointTests.Tolerance * Math.Abs(expected.GetDouble()), what);
            }
            Near(ours.Nelbo, pytorch.GetProperty("nelbo"), "NELBO");
            Near(ours.Kl, pytorch.GetProperty("kl"), "KL");
            Near(ours.Rec, pytorch.GetProperty("rec"), "Rec");
            foreach (var (m, value) in ours.Iwae)
                Near(value, pytorch.GetProperty("iwae").GetProperty($"{m}"), $"IWAE-{m}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

}
