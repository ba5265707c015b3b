using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace WebGen.Tests;

/// <summary>
/// Writes pickles and PyTorch checkpoint files byte by byte, the way <c>torch.save</c> lays them out (protocol 2), so
/// tests can craft the hostile variants a real PyTorch would never write: odd strides, sizes that overflow, opcodes a
/// state dict never uses.
/// </summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> bytes = [];

    public PickleBuilder Raw(params byte[] raw)
    {
        bytes.AddRange(raw);
        return this;
    }

    public PickleBuilder Op(char opcode) => Raw((byte)opcode);

    public PickleBuilder Proto(byte protocol = 2) => Raw(0x80, protocol);

    /// <summary>GLOBAL: the module and name as two text lines.</summary>
    public PickleBuilder Global(string module, string name) => Raw([(byte)'c', .. Encoding.UTF8.GetBytes($"{module}\n{name}\n")]);

    /// <summary>BINUNICODE: a four-byte length and UTF-8.</summary>
    public PickleBuilder Unicode(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return Raw([(byte)'X', .. Le32((uint)utf8.Length), .. utf8]);
    }

    /// <summary>BININT when it fits 32 bits, else LONG1 of eight bytes.</summary>
    public PickleBuilder Int(long value)
    {
        if (value is >= int.MinValue and <= int.MaxValue)
            return Raw([(byte)'J', .. Le32((uint)(int)value)]);
        var raw = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(raw, value);
        return Raw([0x8a, 8, .. raw]);
    }

    public PickleBuilder Tuple(IEnumerable<long> values)
    {
        Op('(');
        foreach (var value in values)
            Int(value);
        return Op('t');
    }

    public byte[] Stop() => [.. bytes, (byte)'.'];

    public byte[] Build() => [.. bytes];

    public static byte[] Le32(uint value)
    {
        var raw = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(raw, value);
        return raw;
    }
}

/// <summary>One tensor of a crafted state dict: what its pickle says about it.</summary>
internal sealed record CraftedTensor(string Name, long[] Size, long[] Stride, long Offset, string Key, long StorageCount)
{
    /// <summary>A contiguous tensor with a storage of its own, as torch.save writes a parameter.</summary>
    public static CraftedTensor Contiguous(string name, long[] size, string key)
    {
        var stride = new long[size.Length];
        long step = 1;
        for (var d = size.Length - 1; d >= 0; d--)
        {
            stride[d] = step;
            step *= size[d];
        }
        return new CraftedTensor(name, size, stride, 0, key, step);
    }
}

internal static class CraftedCheckpoints
{
    /// <summary>The homework's parameter names and shapes (protocol.md) for a VAE or GMVAE of the given sizes.</summary>
    public static List<CraftedTensor> Homework(bool gmvae, long z = 10, long k = 500)
    {
        List<(string, long[])> shapes =
        [
            ("enc.net.0.weight", [300, 784]), ("enc.net.0.bias", [300]), ("enc.net.2.weight", [300, 300]), ("enc.net.2.bias", [300]),
            ("enc.net.4.weight", [2 * z, 300]), ("enc.net.4.bias", [2 * z]),
            ("dec.net.0.weight", [300, z]), ("dec.net.0.bias", [300]), ("dec.net.2.weight", [300, 300]), ("dec.net.2.bias", [300]),
            ("dec.net.4.weight", [784, 300]), ("dec.net.4.bias", [784]),
        ];
        shapes.InsertRange(0, gmvae ? [("z_pre", [1, 2 * k, z]), ("pi", [k])] : [("z_prior_m", [1]), ("z_prior_v", [1])]);
        return [.. shapes.Select((s, i) => CraftedTensor.Contiguous(s.Item1, s.Item2, $"{i}"))];
    }

    /// <summary>The data pickle of a state dict, as torch.save writes it at protocol 2 (an OrderedDict of rebuilt tensors).</summary>
    public static byte[] StateDictPickle(IEnumerable<CraftedTensor> tensors)
    {
        var pickle = new PickleBuilder().Proto().Global("collections", "OrderedDict").Op(')').Op('R').Op('(');
        foreach (var t in tensors)
        {
            pickle.Unicode(t.Name).Global("torch._utils", "_rebuild_tensor_v2").Op('(')
                .Op('(').Unicode("storage").Global("torch", "FloatStorage").Unicode(t.Key).Unicode("cpu").Int(t.StorageCount).Op('t').Op('Q')
                .Int(t.Offset).Tuple(t.Size).Tuple(t.Stride).Raw(0x89)
                .Global("collections", "OrderedDict").Op(')').Op('R')
                .Op('t').Op('R');
        }
        return pickle.Op('u').Stop();
    }

    /// <summary>A zip-format checkpoint: archive/data.pkl and each storage's float32 values (zeros, or as many as <paramref name="storageBytes"/> says).</summary>
    public static byte[] Zip(IReadOnlyList<CraftedTensor> tensors, Func<CraftedTensor, long>? storageBytes = null) =>
        Zip(StateDictPickle(tensors), tensors
            .GroupBy(t => t.Key)
            .Select(g => (g.Key, new byte[storageBytes?.Invoke(g.First()) ?? g.First().StorageCount * 4])));

    public static byte[] Zip(byte[] pickle, IEnumerable<(string Key, byte[] Bytes)> storages, params string[] pickleEntries)
    {
        using var memory = new MemoryStream();
        using (var archive = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in pickleEntries.Length == 0 ? ["archive/data.pkl"] : pickleEntries)
                Write(archive, entry, pickle);
            foreach (var (key, bytes) in storages)
                Write(archive, $"archive/data/{key}", bytes);
        }
        return memory.ToArray();

        static void Write(ZipArchive archive, string name, byte[] bytes)
        {
            using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
            stream.Write(bytes);
        }
    }

    /// <summary>A legacy-format file: the magic number, protocol version and system info pickles, then whatever follows.</summary>
    public static byte[] Legacy(params byte[][] pickles) =>
    [
        .. new PickleBuilder().Proto().Raw(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).Stop(),
        .. pickles.SelectMany(p => p),
    ];

    /// <summary>A WebGen (TorchSharp) checkpoint: LEB128 counts, dtypes and sizes, with float32 data only where the sizes fit.</summary>
    public static byte[] WebGen(params (string Name, long[] Shape)[] tensors)
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
        {
            Leb128(writer, tensors.Length);
            foreach (var (name, shape) in tensors)
            {
                writer.Write(name);
                Leb128(writer, (long)TorchSharp.torch.ScalarType.Float32);
                Leb128(writer, shape.Length);
                foreach (var size in shape)
                    Leb128(writer, size);
                var numel = unchecked(shape.Aggregate(1L, (a, b) => a * b));
                if (numel is > 0 and < 1 << 22)
                    writer.Write(new byte[numel * 4]);
            }
        }
        return memory.ToArray();

        static void Leb128(BinaryWriter writer, long value)
        {
            var rest = (ulong)value;
            do
            {
                var low = (byte)(rest & 0x7f);
                rest >>= 7;
                writer.Write(rest == 0 ? low : (byte)(low | 0x80));
            }
            while (rest != 0);
        }
    }
}
