using System.Buffers.Binary;
using System.IO.Compression;

namespace WebGen.Tools.ReviewsBench;

/// <summary>
/// A class's worth of distinct checkpoints from one real one: the file torch.save wrote (its data.pkl, byteorder and
/// version kept as they are) with every float32 storage's values each scaled by 1 + 1% Gaussian noise, drawn from
/// <paramref name="seed"/>. Each copy is a PyTorch-format state dict with its own weights and hash.
/// </summary>
public static class PerturbedCheckpoints
{
    public static byte[] Of(byte[] pytorchZip, int seed)
    {
        var random = new Random(seed);
        using var source = new ZipArchive(new MemoryStream(pytorchZip, writable: false), ZipArchiveMode.Read);
        using var output = new MemoryStream();
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var entry in source.Entries)
            {
                using var read = new MemoryStream();
                using (var stream = entry.Open())
                    stream.CopyTo(read);
                var bytes = read.ToArray();
                if (entry.FullName.Split('/') is [_, "data", _])
                    Perturb(bytes, random);
                using var write = target.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open(); // torch.save stores, never deflates
                write.Write(bytes);
            }
        return output.ToArray();
    }

    /// <summary>Little-endian float32 values (the homework's storages), each times 1 + 0.01·N(0, 1).</summary>
    private static void Perturb(Span<byte> storage, Random random)
    {
        for (var at = 0; at + 4 <= storage.Length; at += 4)
        {
            var value = BinaryPrimitives.ReadSingleLittleEndian(storage[at..]);
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            BinaryPrimitives.WriteSingleLittleEndian(storage[at..], (float)(value * (1 + (0.01 * gaussian))));
        }
    }
}
