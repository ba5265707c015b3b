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

    public static StateDict ReadZip(byte[] file, string what, ShapeCheck checkShapes)
    {
        Dictionary<string, Storage> storages = [];
        try
        {
            using var archive = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            // One reading of the archive: with a name twice, which entry is meant depends on who looks it up.
            if (archive.Entries.GroupBy(e => e.FullName).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new InvalidCheckpointException($"{what} holds the zip entry {StateDict.Printable(twice.Key)} more than once; a PyTorch checkpoint names each once.");
            var pickles = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
                                                     && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
            if (pickles.Count != 1)
                throw new InvalidCheckpointException(
                    $"{what} is a zip file with {pickles.Count} <name>/data.pkl entries; a PyTorch checkpoint has exactly one.");
            if (pickles[0].Length > PickleScanner.MaxPickleBytes)
                throw new InvalidCheckpointException(
                    $"{what}: its data.pkl is {pickles[0].Length} bytes; accepted are at most {PickleScanner.MaxPickleBytes / 1024} KB (a homework state dict's is about 2 KB).");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            // Entries are stored uncompressed by torch.save; the budget keeps a crafted deflated one from growing without end.
            var budget = Math.Max(file.Length, 1L << 20);
            var pickleBudget = (long)PickleScanner.MaxPickleBytes;
            var pickle = ReadEntry(pickles[0], ref pickleBudget, what);
            var bigEndian = archive.GetEntry(prefix + "byteorder") is { } order
                && System.Text.Encoding.ASCII.GetString(ReadEntry(order, ref pickleBudget, what)).Trim() == "big";
            var (tensors, used) = Unpickle(pickle, what, checkShapes);
            storages = used;
            foreach (var storage in storages.Values)
            {
                var entry = archive.GetEntry($"{prefix}data/{storage.Key}")
                    ?? throw new InvalidCheckpointException($"{what} has no data for storage {StateDict.Printable(storage.Key)}.");
                if (entry.Length != storage.Bytes)
                    throw new InvalidCheckpointException($"{what}: storage {StateDict.Printable(storage.Key)} holds {entry.Length} bytes; {storage.Count} {storage.DType} values need {storage.Bytes}.");
                storage.Fill(ReadEntry(entry, ref budget, what), bigEndian, what);
            }
            return Build(tensors, CheckpointFormat.PyTorchZip, what);
        }
        catch (InvalidDataException e) // System.IO.Compression's word for a damaged archive
        {
            throw new InvalidCheckpointException($"{what} is a damaged zip file ({e.Message})", e);
        }
        finally
        {
            foreach (var storage in storages.Values)
                storage.Dispose();
        }
    }

    public static StateDict ReadLegacy(byte[] file, string what, ShapeCheck checkShapes)
    {
        Dictionary<string, Storage> storages = [];
        var position = 0;
        byte[] NextPickle(string part)
        {
            var length = PickleScanner.Scan(file.AsSpan(position), AllowedGlobals, $"{what} ({part})");
            // A copy: Razorvine's loads(ReadOnlyMemory) reads an array-backed slice from the array's start.
            var pickle = file.AsSpan(position, length).ToArray();
            position += length;
            return pickle;
        }
        object? Next(string part)
        {
            using var unpickler = new StateDictUnpickler(what);
            return Load(unpickler, NextPickle(part), what, part);
        }

        try
        {
            if (Next("magic number") is not BigInteger magic || magic != LegacyMagic)
                throw new InvalidCheckpointException($"{what} starts with a pickle but not with PyTorch's magic number: not a PyTorch checkpoint.");
            if (!TryInteger(Next("protocol version"), out var protocol) || protocol != LegacyProtocolVersion)
                throw new InvalidCheckpointException($"{what} is a PyTorch file of an unknown legacy protocol version; accepted: {LegacyProtocolVersion}.");
            var bigEndian = Next("system info") is Hashtable info && info["little_endian"] is false;

            var (tensors, used) = Unpickle(NextPickle("data.pkl"), what, checkShapes);
            storages = used;
            if (Next("storage keys") is not ArrayList keys)
                throw new InvalidCheckpointException($"{what}: the list of storage keys is missing.");
            foreach (var key in keys)
            {
                if (key is not string name || !storages.TryGetValue(name, out var storage))
                    throw new InvalidCheckpointException($"{what} lists storage {StateDict.Printable(key?.ToString() ?? "None")} that no tensor uses.");
                if (storage.Data is not null)
                    throw new InvalidCheckpointException($"{what} lists storage {StateDict.Printable(name)} twice.");
                if (file.Length - position < 8)
                    throw new InvalidCheckpointException($"{what} ends before storage {StateDict.Printable(name)}.");
                var count = BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(position));
                position += 8;
                // The count was bounded when the pickle declared it, so the product cannot overflow.
                if (count != storage.Count || storage.Bytes > file.Length - position)
                    throw new InvalidCheckpointException($"{what}: storage {StateDict.Printable(name)} has {count} elements on disk; its tensors say {storage.Count}.");
                storage.Fill(file.AsSpan(position, (int)storage.Bytes), bigEndian, what);
                position += (int)storage.Bytes;
            }
            return Build(tensors, CheckpointFormat.PyTorchLegacy, what);
        }
        finally
        {
            foreach (var storage in storages.Values)
                storage.Dispose();
        }
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, ref long budget, string what)
    {
        using var stream = entry.Open();
        try
        {
            var bytes = StateDict.ReadAllBytes(stream, budget, what);
            budget -= bytes.Length;
            return bytes;
        }
        catch (CheckpointTooLargeException)
        {
            // Not the upload's size (which was accepted) but an entry unpacking to more than its file could hold.
            throw new InvalidCheckpointException($"{what}: the zip entry {StateDict.Printable(entry.FullName)} unpacks to more than {budget} bytes.");
        }
    }

    /// <summary>Razorvine's reading of a pickle the scanner accepted, its failures named as the file's.</summary>
    private static object? Load(StateDictUnpickler unpickler, byte[] pickle, string what, string part)
    {
        try
        {
            return unpickler.loads(pickle);
        }
        catch (MalformedStateDictException e)
        {
            throw new InvalidCheckpointException($"{what} ({part}): {e.Message}");
        }
    }

    /// <summary>
    /// Scans, then unpickles the data pickle: the state dict of <see cref="PickledTensor"/>s and their storages. The
    /// shapes are checked, then every tensor's strides and offset against its storage, before any storage is read.
    /// </summary>
    private static (List<(string Name, PickledTensor Tensor)> Tensors, Dictionary<string, Storage> Storages) Unpickle(
        byte[] pickle, string what, ShapeCheck checkShapes)
    {
        PickleScanner.Scan(pickle, AllowedGlobals, $"{what} (data.pkl)");
        using var unpickler = new StateDictUnpickler(what);
        if (Load(unpickler, pickle, what, "data.pkl") is not Hashtable root)
            throw new InvalidCheckpointException($"{what} does not hold a state dict: save with torch.save(model.state_dict(), path).");
        var tensors = new List<(string Name, PickledTensor Tensor)>();
        foreach (DictionaryEntry entry in root)
        {
            if (entry.Key is not string name || entry.Value is not PickledTensor pickled)
                throw new InvalidCheckpointException($"{what}: entry {StateDict.Printable(entry.Key?.ToString() ?? "None")} is a {entry.Value?.GetType().Name ?? "None"}, not a tensor.");
            tensors.Add((name, pickled));
        }
        checkShapes(tensors.ToDictionary(t => t.Name, t => t.Tensor.Size));
        foreach (var (name, tensor) in tensors)
            tensor.CheckLayout(name, what);
        // Storages hold no more values than their tensors read: memory follows the model, not the counts declared.
        long needed = tensors.Sum(t => t.Tensor.Numel), declared = unpickler.Storages.Values.Sum(s => s.Count);
        if (declared > needed)
            throw new InvalidCheckpointException(
                $"{what}: its storages declare {declared} values where its tensors read {needed}; save the state dict of the model itself, not of views into larger tensors.");
        return (tensors, unpickler.Storages);
    }

    /// <summary>The named tensors, copied out of their storages with the sizes and strides the pickle gave.</summary>
    private static StateDict Build(List<(string Name, PickledTensor Tensor)> pickled, CheckpointFormat format, string what)
    {
        var tensors = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in pickled)
        {
            var data = tensor.Storage.Data
                ?? throw new InvalidCheckpointException($"{what}: the data of {StateDict.Printable(name)} (storage {StateDict.Printable(tensor.Storage.Key)}) is missing.");
            tensors[name] = data.as_strided(tensor.Size, tensor.Stride, tensor.Offset).clone().MoveToOuterDisposeScope();
        }
        return new StateDict(format, tensors);
    }

    /// <summary>One storage named by a persistent id; its bytes arrive after the pickle (legacy) or from its zip entry.</summary>
    private sealed class Storage(string key, ScalarType dtype, long count) : IDisposable
    {
        public string Key { get; } = key;
        public ScalarType DType { get; } = dtype;

        /// <summary>At most <see cref="StateDict.MaxValues"/>, checked when the pickle declares it.</summary>
        public long Count { get; } = count;
        public int ElementSize { get; } = StateDict.ElementSize(dtype)!.Value;
        public long Bytes => Count * ElementSize;
        public Tensor? Data { get; private set; }

        public void Fill(ReadOnlySpan<byte> bytes, bool bigEndian, string what)
        {
            if (bytes.Length != Bytes)
                throw new InvalidCheckpointException($"{what}: storage {StateDict.Printable(Key)} holds {bytes.Length} bytes; {Count} {DType} values need {Bytes}.");
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

        public void Dispose() => Data?.Dispose();
    }

    /// <summary>What <c>_rebuild_tensor_v2</c> describes: a view into a storage, built only after the checks.</summary>
    private sealed record PickledTensor(Storage Storage, long Offset, long[] Size, long[] Stride)
    {
        public long Numel => StateDict.Numel(Size);

        /// <summary>
        /// The view reads each of its values once, inside its storage: strides are those of a contiguous tensor or a
        /// permutation of them (a transposed weight), never zero or overlapping, so a tiny storage cannot stand for
        /// a large tensor.
        /// </summary>
        public void CheckLayout(string name, string what)
        {
            if (Size.Length != Stride.Length || Size.Any(s => s < 0) || Numel > StateDict.MaxValues)
                throw new InvalidCheckpointException(
                    $"{what}: {StateDict.Printable(name)} has {Size.Length} sizes and {Stride.Length} strides, a negative size or more than {StateDict.MaxValues} values.");
            long expected = 1;
            // Dimensions of one value have no effect on the layout; the others, by increasing stride, must tile exactly.
            foreach (var (size, stride) in Size.Zip(Stride).Where(d => d.First != 1).OrderBy(d => d.Second))
            {
                if (stride != expected)
                    throw new InvalidCheckpointException(
                        $"{what}: {StateDict.Printable(name)} ({StateDict.Shape(Size)}) has strides ({string.Join(", ", Stride)}), which are zero, overlapping or gapped; accepted are those of a contiguous tensor or a permutation of them.");
                expected = size == 0 ? expected : expected * size;
            }
            if (Offset < 0 || Offset > Storage.Count - Numel)
                throw new InvalidCheckpointException(
                    $"{what}: {StateDict.Printable(name)} ({StateDict.Shape(Size)}) at offset {Offset} reads outside its storage of {Storage.Count} values.");
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
            if (count > StateDict.MaxValues)
                throw new InvalidCheckpointException($"{what}: storage {StateDict.Printable(key)} declares {count} values; accepted are at most {StateDict.MaxValues}.");
            if (id.Length == 6 && id[5] is not null)
                throw new InvalidCheckpointException($"{what} uses storage views (PyTorch before 0.4); re-save it with a newer PyTorch.");
            if (Storages.TryGetValue(key, out var known))
                return known.DType == type.DType && known.Count == count ? known
                    : throw new InvalidCheckpointException($"{what}: storage {StateDict.Printable(key)} is described twice, differently.");
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
            : throw new MalformedStateDictException($"{what} is not a tuple of integers.");

    /// <summary>
    /// Thrown by the constructors below, which Razorvine shares between all files and so cannot name the file;
    /// <see cref="Load"/> adds the name.
    /// </summary>
    private sealed class MalformedStateDictException(string message) : Exception(message);

    /// <summary>torch.FloatStorage and friends: only ever a marker inside a persistent id, never called.</summary>
    private sealed class StorageType(string name, ScalarType dtype) : IObjectConstructor
    {
        public ScalarType DType { get; } = dtype;

        public object construct(object[] args) =>
            throw new MalformedStateDictException($"the pickle calls torch.{name}, which a state dict never does.");
    }

    /// <summary>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata]).</summary>
    private sealed class RebuildTensor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length is < 4 or > 7 || args[0] is not Storage storage || !TryInteger(args[1], out var offset))
                throw new MalformedStateDictException("_rebuild_tensor_v2 has arguments that are not a storage, an offset, a size and a stride.");
            return new PickledTensor(storage, offset, Integers(args[2], "a tensor's size"), Integers(args[3], "a tensor's stride"));
        }
    }

    /// <summary>torch._utils._rebuild_parameter(data, requires_grad, backward_hooks): the tensor itself.</summary>
    private sealed class RebuildParameter : IObjectConstructor
    {
        public object construct(object[] args) =>
            args is [PickledTensor tensor, ..] ? tensor
                : throw new MalformedStateDictException("_rebuild_parameter has no tensor as its first argument.");
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) =>
            args.Length == 0 ? new PickledOrderedDict()
                : throw new MalformedStateDictException("collections.OrderedDict is called with arguments, which a state dict never does.");
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
