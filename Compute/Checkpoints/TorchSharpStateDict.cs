using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute.Checkpoints;

/// <summary>
/// Reads TorchSharp's <c>Module.save</c> format (WebGen's checkpoints) without a module to load into: the entry count
/// (LEB128), then per entry its name (a .NET string), dtype, rank and sizes (LEB128) and the raw little-endian data.
/// The headers are read first and the shapes checked; only then is any tensor allocated.
/// </summary>
public static class TorchSharpStateDict
{
    private const int MaxEntries = 10_000;
    private const int MaxRank = 8;

    private sealed record Entry(string Name, ScalarType DType, long[] Shape, long Offset, long Bytes);

    public static StateDict Read(byte[] file, string what, ShapeCheck checkShapes)
    {
        var entries = ReadHeaders(file, what);
        checkShapes(entries.ToDictionary(e => e.Name, e => e.Shape));
        var tensors = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        foreach (var entry in entries)
            tensors[entry.Name] = StateDict.FromBytes(file.AsSpan((int)entry.Offset, (int)entry.Bytes), entry.DType, entry.Shape).MoveToOuterDisposeScope();
        return new StateDict(CheckpointFormat.WebGen, tensors);
    }

    /// <summary>Every entry's name, dtype, shape and where its data lies, each checked against the bytes in the file.</summary>
    private static List<Entry> ReadHeaders(byte[] file, string what)
    {
        var entries = new List<Entry>();
        try
        {
            using var reader = new BinaryReader(new MemoryStream(file, writable: false), new UTF8Encoding(false, throwOnInvalidBytes: true));
            var count = Decode(reader);
            if (count is < 1 or > MaxEntries)
                throw NotACheckpoint(what);
            long values = 0;
            var names = new HashSet<string>();
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var code = Decode(reader);
                // Checked before the cast: a ScalarType is one byte wide, so a larger code would wrap onto another type.
                var dtype = code <= sbyte.MaxValue ? (ScalarType)code : throw NotACheckpoint(what);
                var elementSize = StateDict.ElementSize(dtype) ?? throw NotACheckpoint(what);
                var rank = Decode(reader);
                if (rank > MaxRank)
                    throw NotACheckpoint(what);
                var shape = new long[rank];
                for (var d = 0; d < rank; d++)
                    shape[d] = Decode(reader);
                var numel = StateDict.Numel(shape);
                values += numel;
                var remaining = file.Length - reader.BaseStream.Position;
                if (values > StateDict.MaxValues || numel * elementSize > remaining)
                    throw NotACheckpoint(what);
                if (!names.Add(name))
                    throw new InvalidCheckpointException($"{what} holds {StateDict.Printable(name)} twice.");
                entries.Add(new Entry(name, dtype, shape, reader.BaseStream.Position, numel * elementSize));
                reader.BaseStream.Seek(numel * elementSize, SeekOrigin.Current);
            }
            if (reader.BaseStream.Position != file.Length)
                throw NotACheckpoint(what);
            return entries;
        }
        catch (Exception e) when (e is IOException or DecoderFallbackException or FormatException)
        {
            throw NotACheckpoint(what);
        }
    }

    private static InvalidCheckpointException NotACheckpoint(string what) =>
        new($"{what} is not a checkpoint: accepted are PyTorch state dicts (torch.save, zip or legacy format) and WebGen checkpoints.");

    /// <summary>An unsigned LEB128 number below 2^63, as TorchSharp writes counts, dtypes and sizes.</summary>
    private static long Decode(BinaryReader reader)
    {
        long value = 0;
        for (var shift = 0; shift < 63; shift += 7)
        {
            var b = reader.ReadByte();
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new FormatException("a LEB128 number is too long.");
    }
}
