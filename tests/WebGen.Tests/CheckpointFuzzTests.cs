using System.Diagnostics;
using System.Text;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Models;
using WebGen.Shared;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// Seeded mutations of real checkpoints (the PyTorch fixtures in both formats and a WebGen checkpoint saved here):
/// byte flips, truncations, insertions and duplicated ranges, each of which must load the model with the right
/// shapes or be refused with one line naming the file, quickly and within bounded memory. In the seeded-draws
/// collection: the WebGen checkpoint is seeded, and its seed must not move another class's draws.
/// </summary>
[Collection(nameof(SeededDraws))]
public sealed class CheckpointFuzzTests(ITestOutputHelper output)
{
    private const string What = "fuzzed.pt";

    /// <summary>Per file: managed allocation beyond a few copies of the file, and time.</summary>
    private const long AllocationAllowance = 48L << 20;

    /// <summary>
    /// A file takes well under a second alone; the bound catches a loader that loops or grows without end, not a
    /// slow machine (other test classes train in parallel on the same cores: one file once took 3.6 s in CI).
    /// </summary>
    private static readonly TimeSpan TimeAllowance = TimeSpan.FromSeconds(30);

    private const int Mutations = 500;

    /// <summary>The fixture (or a WebGen checkpoint saved here), the model it holds, and the seed of its mutations.</summary>
    public static TheoryData<string, ModelKind, int> Files() => new()
    {
        { "vae_zip.pt", ModelKind.Vae, 1 },
        { "gmvae_zip.pt", ModelKind.Gmvae, 2 },
        { "vae_legacy.pt", ModelKind.Vae, 3 },
        { "ssvae_legacy.pt", ModelKind.Ssvae, 4 },
        { "webgen", ModelKind.Gmvae, 5 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void MutatedCheckpoint_LoadsWithTheRightShapesOrIsRefusedInOneLine(string fixture, ModelKind kind, int seed)
    {
        var original = fixture == "webgen" ? WebGenCheckpoint() : File.ReadAllBytes(PyTorchCheckpointTests.Fixture(fixture));
        var shapes = Shapes(original, kind);
        var regions = Structure(original);
        var random = new Random(seed);
        var (loaded, refused) = (0, 0);
        var messages = new Dictionary<string, int>();
        var slowest = TimeSpan.Zero;
        long mostAllocated = 0;

        for (var i = 0; i < Mutations; i++)
        {
            var (mutated, how) = Mutate(original, regions, random);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            try
            {
                using var model = ModelCheckpoint.Load(mutated, kind, CPU, What);
                Assert.Equal(shapes, model.Model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape));
                loaded++;
            }
            catch (InvalidCheckpointException e)
            {
                Assert.True(e.Message.StartsWith(What, StringComparison.Ordinal) && !e.Message.Contains('\n'), $"{how}: {e.Message}");
                // Every refusal comes from a check of the loader's own (or the zip reader's), none from an exception of Razorvine or TorchSharp.
                Assert.True(e.InnerException is null or InvalidDataException, $"{how}: {e.Message}");
                refused++;
                var reason = e.Message[What.Length..Math.Min(e.Message.Length, What.Length + 70)];
                messages[reason] = messages.GetValueOrDefault(reason) + 1;
            }
            clock.Stop();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(clock.Elapsed < TimeAllowance, $"{how}: {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(allocated < 4L * mutated.Length + AllocationAllowance, $"{how}: {allocated:N0} bytes allocated");
            (slowest, mostAllocated) = (clock.Elapsed > slowest ? clock.Elapsed : slowest, Math.Max(mostAllocated, allocated));
        }

        output.WriteLine($"{fixture}: {Mutations} mutations, {loaded} loaded, {refused} refused; slowest {slowest.TotalMilliseconds:0} ms, " +
                         $"most allocated {mostAllocated / 1048576.0:0.0} MB (file {original.Length / 1048576.0:0.0} MB)");
        foreach (var (message, count) in messages.OrderByDescending(m => m.Value))
            output.WriteLine($"  {count,5} × {message}");
    }

    private static Dictionary<string, long[]> Shapes(byte[] file, ModelKind kind)
    {
        using var model = ModelCheckpoint.Load(file, kind, CPU, What);
        return model.Model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
    }

    private static byte[] WebGenCheckpoint()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("webgen-fuzz-").FullName, "model-00100.pt");
        try
        {
            manual_seed(5);
            using var model = new Gmvae(zDim: 4, k: 6);
            model.save(path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    /// <summary>
    /// Where a file's structure lies, as opposed to its weights (whose bytes any value may take): the first and last
    /// 4 KB (pickles, zip headers and directory) and around every parameter name (the WebGen format's headers).
    /// </summary>
    private static List<(int Start, int Length)> Structure(byte[] file)
    {
        var regions = new List<(int, int)> { (0, Math.Min(4096, file.Length)), (Math.Max(0, file.Length - 4096), Math.Min(4096, file.Length)) };
        var span = file.AsSpan();
        foreach (var marker in new[] { "net."u8.ToArray(), Encoding.ASCII.GetBytes("z_pre") })
            for (int at = 0, found; (found = span[at..].IndexOf(marker)) >= 0; at += found + 1)
                regions.Add((Math.Max(0, at + found - 64), Math.Min(160, file.Length - Math.Max(0, at + found - 64))));
        return regions;
    }

    private static (byte[] File, string How) Mutate(byte[] original, List<(int Start, int Length)> regions, Random random)
    {
        // Nine in ten land on structure; the rest anywhere.
        int Position()
        {
            if (random.Next(10) == 0)
                return random.Next(original.Length);
            var (start, length) = regions[random.Next(regions.Count)];
            return start + random.Next(length);
        }
        var at = Position();
        switch (random.Next(4))
        {
            case 0:
                var file = original.ToArray();
                var flips = 1 + random.Next(4);
                for (var f = 0; f < flips; f++)
                    file[f == 0 ? at : Math.Min(original.Length - 1, at + random.Next(16))] ^= (byte)(1 + random.Next(255));
                return (file, $"{flips} byte flips from {at}");
            case 1:
                return (original[..at], $"truncated at {at}");
            case 2:
                var inserted = new byte[1 + random.Next(16)];
                random.NextBytes(inserted);
                return ([.. original.AsSpan(0, at), .. inserted, .. original.AsSpan(at)], $"{inserted.Length} bytes inserted at {at}");
            default:
                var from = Position();
                var length = Math.Min(1 + random.Next(64), original.Length - from);
                return ([.. original.AsSpan(0, at), .. original.AsSpan(from, length), .. original.AsSpan(at)], $"{length} bytes from {from} repeated at {at}");
        }
    }
}
