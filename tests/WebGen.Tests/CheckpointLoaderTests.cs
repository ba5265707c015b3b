using System.Text;
using WebGen.Compute.Checkpoints;
using WebGen.Shared;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// Hostile checkpoint files, each crafted to break one promise of the loader: the names the scanner checks are the
/// names the unpickler loads, memory stays proportional to a homework model, and every refusal is an
/// <see cref="InvalidCheckpointException"/> naming the file.
/// </summary>
public sealed class CheckpointLoaderTests(ITestOutputHelper output)
{
    private const string What = "crafted.pt";

    private static InvalidCheckpointException Refused(byte[] file, ModelKind kind = ModelKind.Vae) =>
        Assert.ThrowsAny<InvalidCheckpointException>(() => ModelCheckpoint.Load(file, kind, CPU, What));

    private static List<CraftedTensor> Vae() => CraftedCheckpoints.Homework(gmvae: false);

    private static List<CraftedTensor> With(List<CraftedTensor> tensors, string name, Func<CraftedTensor, CraftedTensor> change) =>
        [.. tensors.Select(t => t.Name == name ? change(t) : t)];

    [Fact]
    public void CraftedHomeworkVae_LoadsWithItsShapes()
    {
        using var loaded = ModelCheckpoint.Load(CraftedCheckpoints.Zip(Vae()), ModelKind.Vae, CPU, What);
        Assert.Equal((CheckpointFormat.PyTorchZip, 10), (loaded.Format, loaded.Options.ZDim));
    }

    [Fact]
    public void LongBinputIndexOf2To31OrMore_IsRefused()
    {
        // Read unsigned by the scanner and signed by Razorvine: one index, two meanings.
        var pickle = new PickleBuilder().Proto().Op(')').Op('r').Raw(0xff, 0xff, 0xff, 0xff).Op('j').Raw(0xff, 0xff, 0xff, 0xff).Stop();
        var error = Assert.ThrowsAny<InvalidCheckpointException>(() => PickleScanner.Scan(pickle, PyTorchStateDict.AllowedGlobals, What));
        Assert.Contains("memo index 4294967295", error.Message);
    }

    [Fact]
    public void StringOpcodeWithMismatchedQuotes_IsRefusedByName()
    {
        // The scanner trimmed any quotes; Razorvine wants a matching pair: two readings of one line.
        var pickle = new PickleBuilder().Proto().Raw([(byte)'S', .. "'posix\"\n"u8]).Stop();
        var error = Assert.ThrowsAny<InvalidCheckpointException>(() => PickleScanner.Scan(pickle, PyTorchStateDict.AllowedGlobals, What));
        Assert.Contains("STRING", error.Message);
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void MemoAndMarkBomb_IsRefusedWithinBoundedMemory(string format)
    {
        var pickle = new PickleBuilder().Proto().Op(')');
        for (uint i = 0; i < 1_400_000; i++)
            pickle.Op('r').Raw(PickleBuilder.Le32(i));
        pickle.Raw([.. Enumerable.Repeat((byte)'(', 1_000_000)]);
        var file = format == "zip" ? CraftedCheckpoints.Zip(pickle.Stop(), []) : CraftedCheckpoints.Legacy(pickle.Stop());
        output.WriteLine($"file: {file.Length:N0} bytes");

        var before = GC.GetAllocatedBytesForCurrentThread();
        Refused(file);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"allocated while refusing it: {allocated:N0} bytes");
        Assert.InRange(allocated, 0, 32L << 20);
    }

    [Theory]
    [InlineData("MARKs nest deeper", ")", "(", 60_000)]
    [InlineData("the memo grows past", ")", "r", 12_000)]
    [InlineData("the stack grows past", ")", ")", 60_000)]
    public void PickleWithinTheSizeLimit_IsStillBoundedInMarksMemoAndStack(string refusal, string first, string repeated, int times)
    {
        var pickle = new PickleBuilder().Proto().Op(first[0]);
        for (var i = 0; i < times; i++)
        {
            pickle.Op(repeated[0]);
            if (repeated == "r")
                pickle.Raw(PickleBuilder.Le32((uint)i));
        }
        var error = Assert.ThrowsAny<InvalidCheckpointException>(() => PickleScanner.Scan(pickle.Op(')').Stop(), PyTorchStateDict.AllowedGlobals, What));
        Assert.Contains(refusal, error.Message);
    }

    [Fact]
    public void ZeroStrides_AreRefused()
    {
        var file = CraftedCheckpoints.Zip(With(Vae(), "enc.net.0.weight", t => t with { Stride = [0, 1], StorageCount = 784 }));
        Assert.Contains("stride", Refused(file).Message);
    }

    [Fact]
    public void OverlappingStrides_AreRefused()
    {
        var file = CraftedCheckpoints.Zip(With(Vae(), "enc.net.0.weight", t => t with { Stride = [1, 1], StorageCount = 1083 }));
        Assert.Contains("stride", Refused(file).Message);
    }

    [Fact]
    public void GmvaeWhoseShapesSayZ1024K10000_IsRefusedNamingTheAcceptedRange()
    {
        // Every tensor a zero-stride view of one value: a 2 KB file describing a 22-million-value model.
        var tensors = CraftedCheckpoints.Homework(gmvae: true, z: 1024, k: 10_000)
            .Select(t => t with { Stride = new long[t.Size.Length], StorageCount = 1 }).ToList();
        var file = CraftedCheckpoints.Zip(tensors);
        output.WriteLine($"file: {file.Length:N0} bytes");
        var error = Refused(file, ModelKind.Gmvae);
        Assert.Contains("k = 10000", error.Message);
        Assert.Contains($"1 to {CheckpointLimits.Default.MaxK}", error.Message);
    }

    [Fact]
    public void WebGenFileWhoseSizesOverflowWhenMultiplied_IsRefused()
    {
        // 2 × (2^63 − 1) wraps around to −2 values.
        Refused(CraftedCheckpoints.WebGen(("enc.net.0.weight", [2, long.MaxValue])));
    }

    [Theory]
    [InlineData("stride")]
    [InlineData("storage count")]
    [InlineData("offset")]
    public void IntegerOverflow_IsRefused(string where)
    {
        var tensors = With(Vae(), "enc.net.0.weight", t => where switch
        {
            "stride" => t with { Stride = [1L << 62, 1] },
            "storage count" => t with { StorageCount = 1L << 62 },
            _ => t with { Offset = long.MaxValue - 10 },
        });
        // The storage entry holds what the count times four wraps around to: nothing, for 2^62 values.
        Refused(CraftedCheckpoints.Zip(tensors, t => unchecked(t.StorageCount * 4) is var bytes and >= 0 and < 1 << 24 ? bytes : 0));
    }

    [Theory]
    [InlineData("F", "not-a-float\n")]
    [InlineData("I", "99999999999999999999\n")]
    [InlineData("p", "99999999999\n")]
    public void MalformedTextLiterals_AreRefused(string opcode, string literal)
    {
        var pickle = new PickleBuilder().Proto().Op(')').Raw([.. Encoding.ASCII.GetBytes(opcode + literal)]).Stop();
        Refused(CraftedCheckpoints.Zip(pickle, []));
    }

    [Fact]
    public void TwoDataPklEntries_AreRefused()
    {
        var file = CraftedCheckpoints.Zip(CraftedCheckpoints.StateDictPickle(Vae()), [], "a/data.pkl", "b/data.pkl");
        Assert.Contains("data.pkl", Refused(file).Message);
    }

    [Fact]
    public void LegacyFileWhoseProtocolPickleCallsANumber_IsRefused()
    {
        // Scans as well-formed (an integer, an empty tuple, REDUCE); building it casts 1001 to a callable.
        var file = CraftedCheckpoints.Legacy(new PickleBuilder().Proto().Raw(0x4d, 0xe9, 0x03).Op(')').Op('R').Stop());
        Refused(file);
    }
}
