using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute.Checkpoints;

/// <summary>
/// Reads TorchSharp's <c>Module.save</c> format (WebGen's checkpoints) without a module to load into: the entry count
/// (LEB128), then per entry its name (a .NET string), dtype, rank and sizes (LEB128) and the raw little-endian data.
/// </summary>
public static class TorchSharpStateDict
{
    public static StateDict Read(byte[] file, string what)
    {
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            using var reader = new BinaryReader(new MemoryStream(file, writable: false), Encoding.UTF8);
            var count = Decode(reader);
            if (count is < 1 or > 10_000)
                throw NotACheckpoint(what);
            long values = 0;
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var dtype = (ScalarType)Decode(reader);
                var elementSize = StateDict.ElementSize(dtype) ?? throw NotACheckpoint(what);
                var rank = Decode(reader);
                if (rank is < 0 or > 8)
                    throw NotACheckpoint(what);
                var shape = new long[rank];
                long numel = 1;
                for (var d = 0; d < rank; d++)
                {
                    shape[d] = Decode(reader);
                    numel *= shape[d];
                    if (shape[d] < 0 || numel > StateDict.MaxValues)
                        throw NotACheckpoint(what);
                }
                values += numel;
                if (values > StateDict.MaxValues || numel * elementSize > file.Length - reader.BaseStream.Position)
                    throw NotACheckpoint(what);
                var data = reader.ReadBytes((int)(numel * elementSize));
                if (!tensors.TryAdd(name, StateDict.FromBytes(data, dtype, shape)))
                    throw new InvalidCheckpointException($"{what} holds {name} twice.");
            }
            if (reader.BaseStream.Position != file.Length)
                throw NotACheckpoint(what);
            return new StateDict(CheckpointFormat.WebGen, tensors);
        }
        catch (Exception e) when (e is EndOfStreamException or DecoderFallbackException or FormatException or InvalidCheckpointException)
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
            if (e is InvalidCheckpointException)
                throw;
            throw NotACheckpoint(what);
        }
    }

    private static InvalidCheckpointException NotACheckpoint(string what) =>
        new($"{what} is not a checkpoint: accepted are PyTorch state dicts (torch.save, zip or legacy format) and WebGen checkpoints.");

    /// <summary>An unsigned LEB128 number, as TorchSharp writes counts, dtypes and sizes.</summary>
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
