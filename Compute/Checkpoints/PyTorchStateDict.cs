using System.Buffers.Binary;
using System.Collections;
using System.IO.Compression;
using System.Numerics;
using Razorvine.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute.Checkpoints;

/// <summary>
/// Reads <c>torch.save(model.state_dict())</c> files without Python: the zip format of PyTorch ≥ 1.6
/// (<c>&lt;name&gt;/data.pkl</c>, storages in <c>&lt;name&gt;/data/&lt;key&gt;</c>, optional <c>byteorder</c>) and the
/// legacy format (pickles of the magic number, the protocol version and the system info, the data pickle, the list
/// of storage keys, then each storage as an int64 element count and its raw bytes).
/// Every pickle is first walked by <see cref="PickleScanner"/> against <see cref="AllowedGlobals"/>, so a file that
/// names anything but tensors and ordered dicts is refused before any of it is built; only then does Razorvine.Pickle
/// unpickle it, with constructors for exactly those globals.
/// </summary>
public static class PyTorchStateDict
{
    private static readonly (string Name, ScalarType DType)[] StorageTypes =
    [
        ("FloatStorage", ScalarType.Float32), ("DoubleStorage", ScalarType.Float64), ("HalfStorage", ScalarType.Float16),
        ("BFloat16Storage", ScalarType.BFloat16), ("LongStorage", ScalarType.Int64), ("IntStorage", ScalarType.Int32),
        ("ShortStorage", ScalarType.Int16), ("CharStorage", ScalarType.Int8), ("ByteStorage", ScalarType.Byte),
        ("BoolStorage", ScalarType.Bool),
    ];

    /// <summary>The only Python globals a state dict pickle may name.</summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(
        ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
         .. StorageTypes.Select(s => $"torch.{s.Name}")]);

    /// <summary>The legacy format's first pickle: torch.serialization.MAGIC_NUMBER.</summary>
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    private const int LegacyProtocolVersion = 1001;

    static PyTorchStateDict()
    {
        // Razorvine keeps constructors in one process-wide table; these are the allowed globals' only meanings.
        Unpickler.registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", new RebuildTensor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", new RebuildParameter());
        foreach (var (name, dtype) in StorageTypes)
            Unpickler.registerConstructor("torch", name, new StorageType(name, dtype));
    }

    public static bool IsZip(ReadOnlySpan<byte> file) => file.StartsWith("PK\x03\x04"u8);

    /// <summary>A legacy file starts with a protocol-2 pickle of the magic number: PROTO 2, LONG1 of 10 bytes.</summary>
    public static bool IsLegacy(ReadOnlySpan<byte> file) => file.StartsWith((ReadOnlySpan<byte>)[0x80, 0x02, 0x8a, 0x0a]);

    public static StateDict ReadZip(byte[] file, string what)
    {
        try
        {
            using var archive = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            var pickleEntry = archive.Entries.SingleOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
                                                                   && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length)
                ?? throw new InvalidCheckpointException($"{what} is a zip file without <name>/data.pkl: not a PyTorch checkpoint.");
            var prefix = pickleEntry.FullName[..^"data.pkl".Length];
            // Entries are stored uncompressed by torch.save; the budget keeps a crafted deflated one from growing without end.
            var budget = Math.Max(file.Length, 1L << 20);
            var pickle = ReadEntry(pickleEntry, ref budget, what);
            var bigEndian = archive.GetEntry(prefix + "byteorder") is { } order
                && System.Text.Encoding.ASCII.GetString(ReadEntry(order, ref budget, what)).Trim() == "big";
            var (root, storages) = Unpickle(pickle, what);
            foreach (var storage in storages.Values)
            {
                var entry = archive.GetEntry($"{prefix}data/{storage.Key}")
                    ?? throw new InvalidCheckpointException($"{what} has no data for storage {storage.Key} ({prefix}data/{storage.Key}).");
                storage.Fill(ReadEntry(entry, ref budget, what), bigEndian, what);
            }
            return Build(root, storages, CheckpointFormat.PyTorchZip, what);
        }
        catch (InvalidDataException e) // System.IO.Compression's word for a damaged archive
        {
            throw new InvalidCheckpointException($"{what} is a damaged zip file ({e.Message})", e);
        }
    }

    public static StateDict ReadLegacy(byte[] file, string what)
    {
        var position = 0;
        object Next(string part)
        {
            var length = PickleScanner.Scan(file.AsSpan(position), AllowedGlobals, $"{what} ({part})");
            using var unpickler = new StateDictUnpickler(what);
            // A copy: Razorvine's loads(ReadOnlyMemory) reads an array-backed slice from the array's start.
            var value = unpickler.loads(file.AsSpan(position, length).ToArray());
            position += length;
            return value;
        }

        if (Next("magic number") is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidCheckpointException($"{what} starts with a pickle but not with PyTorch's magic number: not a PyTorch checkpoint.");
        if (!TryInteger(Next("protocol version"), out var protocol) || protocol != LegacyProtocolVersion)
            throw new InvalidCheckpointException($"{what} is a PyTorch file of an unknown legacy protocol version; accepted: {LegacyProtocolVersion}.");
        var bigEndian = Next("system info") is Hashtable info && info["little_endian"] is false;

        var dataLength = PickleScanner.Scan(file.AsSpan(position), AllowedGlobals, $"{what} (data.pkl)");
        var (root, storages) = Unpickle(file.AsSpan(position, dataLength).ToArray(), what);
        position += dataLength;
        if (Next("storage keys") is not ArrayList keys)
            throw new InvalidCheckpointException($"{what}: the list of storage keys is missing.");
        foreach (var key in keys)
        {
            if (key is not string name || !storages.TryGetValue(name, out var storage))
                throw new InvalidCheckpointException($"{what} lists storage {key} that no tensor uses.");
            if (file.Length - position < 8)
                throw new InvalidCheckpointException($"{what} ends before storage {name}.");
            var count = BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(position));
            position += 8;
            if (count != storage.Count || count * storage.ElementSize > file.Length - position)
                throw new InvalidCheckpointException($"{what}: storage {name} has {count} elements on disk; its tensors say {storage.Count}.");
            var bytes = (int)(count * storage.ElementSize);
            storage.Fill(file.AsSpan(position, bytes), bigEndian, what);
            position += bytes;
        }
        return Build(root, storages, CheckpointFormat.PyTorchLegacy, what);
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, ref long budget, string what)
    {
        using var stream = entry.Open();
        var bytes = StateDict.ReadAllBytes(stream, budget, $"{what} ({entry.FullName} unpacked)");
        budget -= bytes.Length;
        return bytes;
    }

    /// <summary>Scans, then unpickles the data pickle: the state dict of <see cref="PickledTensor"/>s and their storages.</summary>
    private static (Hashtable Root, Dictionary<string, Storage> Storages) Unpickle(byte[] pickle, string what)
    {
        PickleScanner.Scan(pickle, AllowedGlobals, $"{what} (data.pkl)");
        using var unpickler = new StateDictUnpickler(what);
        object root;
        try
        {
            root = unpickler.loads(pickle);
        }
        catch (Exception e) when (e is PickleException or InvalidCastException or InvalidOperationException)
        {
            throw new InvalidCheckpointException($"{what}: the state dict pickle is malformed ({e.Message}).", e);
        }
        return root is Hashtable dict
            ? (dict, unpickler.Storages)
            : throw new InvalidCheckpointException(
                $"{what} holds a {root?.GetType().Name ?? "None"}, not a state dict: save with torch.save(model.state_dict(), path).");
    }

    /// <summary>The named tensors, copied out of their storages with the sizes and strides the pickle gave.</summary>
    private static StateDict Build(Hashtable root, Dictionary<string, Storage> storages, CheckpointFormat format, string what)
    {
        var tensors = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        long values = 0;
        foreach (DictionaryEntry entry in root)
        {
            if (entry.Key is not string name || entry.Value is not PickledTensor pickled)
                throw new InvalidCheckpointException($"{what}: entry {entry.Key} is a {entry.Value?.GetType().Name ?? "None"}, not a tensor.");
            values += pickled.Numel;
            if (values > StateDict.MaxValues)
                throw new InvalidCheckpointException($"{what} holds more than {StateDict.MaxValues} values; a homework model has about a million.");
            if (pickled.Storage.Data is null)
                throw new InvalidCheckpointException($"{what}: the data of {name} (storage {pickled.Storage.Key}) is missing.");
            pickled.CheckBounds(name, what);
            tensors[name] = pickled.Storage.Data.as_strided(pickled.Size, pickled.Stride, pickled.Offset).clone().MoveToOuterDisposeScope();
        }
        return new StateDict(format, tensors);
    }

    /// <summary>One storage named by a persistent id; its bytes arrive after the pickle (legacy) or from its zip entry.</summary>
    private sealed class Storage(string key, ScalarType dtype, long count)
    {
        public string Key { get; } = key;
        public ScalarType DType { get; } = dtype;
        public long Count { get; } = count;
        public int ElementSize { get; } = StateDict.ElementSize(dtype)!.Value;
        public Tensor? Data { get; private set; }

        public void Fill(ReadOnlySpan<byte> bytes, bool bigEndian, string what)
        {
            if (bytes.Length != Count * ElementSize)
                throw new InvalidCheckpointException($"{what}: storage {Key} holds {bytes.Length} bytes; {Count} {DType} values need {Count * ElementSize}.");
            if (!bigEndian || ElementSize == 1)
            {
                Data = StateDict.FromBytes(bytes, DType, [Count]);
                return;
            }
            var swapped = bytes.ToArray();
            for (var i = 0; i < swapped.Length; i += ElementSize)
                swapped.AsSpan(i, ElementSize).Reverse();
            Data = StateDict.FromBytes(swapped, DType, [Count]);
        }
    }

    /// <summary>What <c>_rebuild_tensor_v2</c> describes: a view into a storage, built only after the checks.</summary>
    private sealed record PickledTensor(Storage Storage, long Offset, long[] Size, long[] Stride)
    {
        /// <summary>The element count, saturated just above <see cref="StateDict.MaxValues"/>: crafted sizes cannot overflow it.</summary>
        public long Numel
        {
            get
            {
                const long cap = StateDict.MaxValues + 1;
                long numel = 1;
                foreach (var size in Size)
                    numel = size <= 0 ? 0 : numel > cap / size ? cap : Math.Min(numel * size, cap);
                return numel;
            }
        }

        public void CheckBounds(string name, string what)
        {
            if (Size.Length != Stride.Length || Offset < 0 || Size.Any(s => s < 0) || Stride.Any(s => s < 0))
                throw new InvalidCheckpointException($"{what}: {name} has an invalid size, stride or offset.");
            var last = Offset + Size.Zip(Stride, (s, t) => (s - 1) * t).Sum();
            if (Numel > 0 && last >= Storage.Count)
                throw new InvalidCheckpointException($"{what}: {name} ({StateDict.Shape(Size)}) reads past the end of its storage of {Storage.Count} values.");
        }
    }

    private sealed class StateDictUnpickler(string what) : Unpickler
    {
        public Dictionary<string, Storage> Storages { get; } = [];

        /// <summary>('storage', storage type, key, location, element count[, view metadata]).</summary>
        protected override object persistentLoad(object pid)
        {
            if (pid is not object[] { Length: 5 or 6 } id || id[0] is not "storage" || id[1] is not StorageType type
                || id[2] is not string key || !TryInteger(id[4], out var count) || count < 0)
                throw new InvalidCheckpointException($"{what}: a persistent id is not a tensor storage.");
            if (id.Length == 6 && id[5] is not null)
                throw new InvalidCheckpointException($"{what} uses storage views (PyTorch before 0.4); re-save it with a newer PyTorch.");
            if (Storages.TryGetValue(key, out var known))
                return known.DType == type.DType && known.Count == count ? known
                    : throw new InvalidCheckpointException($"{what}: storage {key} is described twice, differently.");
            return Storages[key] = new Storage(key, type.DType, count);
        }
    }

    private static bool TryInteger(object? value, out long integer)
    {
        (var ok, integer) = value switch
        {
            int i => (true, i),
            long l => (true, l),
            _ => (false, 0L),
        };
        return ok;
    }

    private static long[] Integers(object? tuple, string what) =>
        tuple is object[] items && items.All(i => TryInteger(i, out _))
            ? [.. items.Select(i => TryInteger(i, out var v) ? v : 0)]
            : throw new InvalidCheckpointException($"{what} is not a tuple of integers.");

    /// <summary>torch.FloatStorage and friends: only ever a marker inside a persistent id, never called.</summary>
    private sealed class StorageType(string name, ScalarType dtype) : IObjectConstructor
    {
        public ScalarType DType { get; } = dtype;

        public object construct(object[] args) =>
            throw new InvalidCheckpointException($"the pickle calls torch.{name}, which a state dict never does.");
    }

    /// <summary>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata]).</summary>
    private sealed class RebuildTensor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length is < 4 or > 7 || args[0] is not Storage storage || !TryInteger(args[1], out var offset))
                throw new InvalidCheckpointException("_rebuild_tensor_v2 has arguments that are not a storage, an offset, a size and a stride.");
            return new PickledTensor(storage, offset, Integers(args[2], "a tensor's size"), Integers(args[3], "a tensor's stride"));
        }
    }

    /// <summary>torch._utils._rebuild_parameter(data, requires_grad, backward_hooks): the tensor itself.</summary>
    private sealed class RebuildParameter : IObjectConstructor
    {
        public object construct(object[] args) =>
            args is [PickledTensor tensor, ..] ? tensor
                : throw new InvalidCheckpointException("_rebuild_parameter has no tensor as its first argument.");
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) =>
            args.Length == 0 ? new PickledOrderedDict()
                : throw new InvalidCheckpointException("collections.OrderedDict is called with arguments, which a state dict never does.");
    }

    /// <summary>
    /// An OrderedDict: its items arrive through SETITEMS; BUILD hands it the instance attributes (a state dict's
    /// <c>_metadata</c>, the modules' versions), which loading does not need.
    /// </summary>
    private sealed class PickledOrderedDict : Hashtable
    {
        // Razorvine's BUILD calls this by reflection.
#pragma warning disable IDE1006, CA1822
        public void __setstate__(Hashtable attributes)
        {
        }
#pragma warning restore IDE1006, CA1822
    }
}
