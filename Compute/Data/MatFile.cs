using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace WebGen.Compute.Data;

/// <summary>MATLAB array classes: the class byte of a MAT-file array's flags.</summary>
public enum MatClass
{
    Cell = 1, Struct, Object, Char, Sparse, Double, Single, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64,
}

/// <summary>
/// One array of a MAT-file, positioned at its values: name, class, dimensions, and the real values in MATLAB's
/// column-major order, read once from front to back. Valid until the enumeration of <see cref="MatFile.Variables"/>
/// moves on.
/// </summary>
public sealed class MatVariable
{
    private readonly string path;
    private readonly Stream? values;
    private readonly int storage; // the mi* type the values are stored as, which may be narrower than the class
    private readonly bool complex;
    private long remaining;

    internal MatVariable(string path, string name, MatClass matClass, int[] dimensions, bool complex, int storage, Stream? values, long bytes)
    {
        (this.path, Name, Class, Dimensions, this.complex, this.storage, this.values, remaining) =
            (path, name, matClass, dimensions, complex, storage, values, bytes);
        if (values is not null && bytes != Count * MatFile.ElementSize(storage))
            throw new InvalidDataFileException(
                $"{path}: {name} has {Count} values but stores {bytes} bytes of {MatFile.TypeName(storage)} (corrupt).");
    }

    public string Name { get; }
    public MatClass Class { get; }
    /// <summary>MATLAB's dimensions, trailing singletons dropped as MATLAB drops them (a 32×32×3×1 array is 32×32×3).</summary>
    public IReadOnlyList<int> Dimensions { get; }
    public long Count => Dimensions.Aggregate(1L, (product, d) => product * d);

    /// <summary>The next <c>destination.Length</c> values of a uint8 array.</summary>
    public void ReadBytes(Span<byte> destination)
    {
        var stream = Values();
        if (storage != MatFile.MiUInt8)
            throw new InvalidDataFileException($"{path}: {Name} is stored as {MatFile.TypeName(storage)}, not uint8.");
        if (destination.Length > remaining)
            throw new InvalidOperationException($"{Name} has {remaining} bytes left; {destination.Length} were asked for.");
        MatFile.ReadExactly(path, stream, destination);
        remaining -= destination.Length;
    }

    /// <summary>
    /// All values as doubles, whatever the storage: MATLAB stores a double array of small whole numbers as uint8.
    /// </summary>
    public double[] ReadNumbers()
    {
        var stream = Values();
        var bytes = new byte[remaining];
        MatFile.ReadExactly(path, stream, bytes);
        remaining = 0;
        var size = MatFile.ElementSize(storage);
        var numbers = new double[bytes.Length / size];
        for (var i = 0; i < numbers.Length; i++)
        {
            var at = bytes.AsSpan(i * size);
            numbers[i] = storage switch
            {
                MatFile.MiInt8 => (sbyte)at[0],
                MatFile.MiUInt8 => at[0],
                MatFile.MiInt16 => BinaryPrimitives.ReadInt16LittleEndian(at),
                MatFile.MiUInt16 => BinaryPrimitives.ReadUInt16LittleEndian(at),
                MatFile.MiInt32 => BinaryPrimitives.ReadInt32LittleEndian(at),
                MatFile.MiUInt32 => BinaryPrimitives.ReadUInt32LittleEndian(at),
                MatFile.MiSingle => BinaryPrimitives.ReadSingleLittleEndian(at),
                MatFile.MiDouble => BinaryPrimitives.ReadDoubleLittleEndian(at),
                MatFile.MiInt64 => BinaryPrimitives.ReadInt64LittleEndian(at),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(at),
            };
        }
        return numbers;
    }

    private Stream Values()
    {
        if (values is null)
            throw new InvalidDataFileException($"{path}: {Name} is a {Class.ToString().ToLowerInvariant()} array, not a numeric one.");
        return complex ? throw new InvalidDataFileException($"{path}: {Name} is complex; only real arrays are read.") : values;
    }
}

/// <summary>
/// Reads MATLAB level 5 MAT-files (MATLAB's <c>-v6</c> and <c>-v7</c>, scipy's <c>savemat</c>): a 128-byte header,
/// then data elements, each plain (<c>miMATRIX</c>) or zlib-compressed (<c>miCOMPRESSED</c>). Only little-endian
/// files and numeric arrays' values; other arrays are listed with their class but no values.
/// </summary>
public static class MatFile
{
    internal const int MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiSingle = 7,
        MiDouble = 9, MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15, MiUtf8 = 16;

    private const int HeaderLength = 128;
    private const int MaxHeaderElement = 4096; // flags, dimensions and names are tiny; more means a corrupt file

    /// <summary>
    /// The file's arrays in file order. Each is valid until the next is asked for; values not read are skipped.
    /// </summary>
    public static IEnumerable<MatVariable> Variables(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file.", path);
        using var file = File.OpenRead(path);
        ReadHeader(path, file);
        while (file.Position < file.Length)
        {
            var start = file.Position;
            var (type, size, small) = ReadTag(path, file);
            size = small is null ? size : 0; // a small element's bytes sit in its 8-byte tag
            var end = start + 8 + size;
            if (end > file.Length)
                throw new InvalidDataFileException(
                    $"{path}: truncated: the element at byte {start} declares {size} bytes but only {file.Length - start - 8} follow.");
            var zlib = type == MiCompressed ? new ZLibStream(file, CompressionMode.Decompress, leaveOpen: true) : null;
            try
            {
                var variable = type switch
                {
                    MiCompressed => ReadCompressedMatrix(path, zlib!),
                    MiMatrix => ReadMatrix(path, file, size),
                    _ => null, // other top-level elements carry no arrays
                };
                if (variable is not null)
                    yield return variable;
            }
            finally
            {
                zlib?.Dispose();
            }
            // Compressed elements are not padded; plain ones are, to 8 bytes.
            file.Position = type == MiCompressed ? end : Math.Min(file.Length, start + 8 + Padded(size));
        }
    }

    internal static int ElementSize(int type) => type switch
    {
        MiInt8 or MiUInt8 => 1,
        MiInt16 or MiUInt16 => 2,
        MiInt32 or MiUInt32 or MiSingle => 4,
        MiDouble or MiInt64 or MiUInt64 => 8,
        _ => 0,
    };

    internal static string TypeName(int type) => type switch
    {
        MiInt8 => "int8",
        MiUInt8 => "uint8",
        MiInt16 => "int16",
        MiUInt16 => "uint16",
        MiInt32 => "int32",
        MiUInt32 => "uint32",
        MiSingle => "single",
        MiDouble => "double",
        MiInt64 => "int64",
        MiUInt64 => "uint64",
        _ => $"data type {type}",
    };

    internal static void ReadExactly(string path, Stream stream, Span<byte> destination)
    {
        try
        {
            stream.ReadExactly(destination);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataFileException($"{path}: truncated: the data ends before the element it belongs to.");
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataFileException($"{path}: compressed data is corrupt ({e.Message}).");
        }
    }

    private static void ReadHeader(string path, Stream file)
    {
        const string accepted = "accepted: MATLAB 5 MAT-files (save -v6 or -v7, scipy.io.savemat), little-endian";
        if (file.Length < HeaderLength)
            throw new InvalidDataFileException($"{path}: {file.Length} bytes is too short for a MAT-file header ({HeaderLength} bytes); {accepted}.");
        var header = new byte[HeaderLength];
        ReadExactly(path, file, header);
        var endian = Encoding.ASCII.GetString(header, 126, 2);
        var version = endian == "MI" ? BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(124))
            : BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(124));
        if (endian is not ("IM" or "MI"))
            throw new InvalidDataFileException($"{path}: not a MATLAB 5 MAT-file (no endian indicator IM at byte 126); {accepted}.");
        if (version != 0x0100)
        {
            var hint = version == 0x0200 ? " (MATLAB 7.3, an HDF5 file; save it again with -v7)" : "";
            throw new InvalidDataFileException($"{path}: MAT-file version 0x{version:X4}{hint} is not 0x0100; {accepted}.");
        }
        if (endian == "MI")
            throw new InvalidDataFileException($"{path}: a big-endian MAT-file; {accepted}.");
    }

    /// <summary>A data element's tag: type and byte count, and for the small element format its (up to 4) bytes.</summary>
    private static (int Type, long Size, byte[]? Small) ReadTag(string path, Stream stream)
    {
        Span<byte> tag = stackalloc byte[8];
        ReadExactly(path, stream, tag);
        var first = BinaryPrimitives.ReadUInt32LittleEndian(tag);
        if (first >> 16 == 0)
            return ((int)first, BinaryPrimitives.ReadUInt32LittleEndian(tag[4..]), null);
        var (type, size) = ((int)(first & 0xFFFF), (int)(first >> 16));
        if (size > 4)
            throw new InvalidDataFileException($"{path}: a small data element declares {size} bytes (at most 4).");
        return (type, size, tag.Slice(4, size).ToArray());
    }

    private static MatVariable? ReadCompressedMatrix(string path, Stream zlib)
    {
        var (type, size, _) = ReadTag(path, zlib);
        return type == MiMatrix ? ReadMatrix(path, zlib, size) : null;
    }

    /// <summary>An miMATRIX element's flags, dimensions and name; the stream is left at the real values.</summary>
    private static MatVariable? ReadMatrix(string path, Stream stream, long size)
    {
        if (size == 0)
            return null; // an empty placeholder element
        var (flagsType, flags) = ReadSubelement(path, stream);
        if (flagsType != MiUInt32 || flags.Length != 8)
            throw new InvalidDataFileException($"{path}: an array's flags are {flags.Length} bytes of {TypeName(flagsType)}, not 8 of uint32 (corrupt).");
        var matClass = (MatClass)flags[0];
        var complex = (flags[1] & 0x08) != 0;
        var (dimensionsType, dimensionBytes) = ReadSubelement(path, stream);
        if (dimensionsType != MiInt32 || dimensionBytes.Length < 8 || dimensionBytes.Length % 4 != 0)
            throw new InvalidDataFileException($"{path}: an array's dimensions are not int32 pairs or more (corrupt).");
        var dimensions = Enumerable.Range(0, dimensionBytes.Length / 4)
            .Select(i => BinaryPrimitives.ReadInt32LittleEndian(dimensionBytes.AsSpan(4 * i))).ToArray();
        var (nameType, nameBytes) = ReadSubelement(path, stream);
        if (nameType is not (MiInt8 or MiUtf8) || dimensions.Any(d => d < 0))
            throw new InvalidDataFileException($"{path}: an array's name or dimensions are malformed (corrupt).");
        var name = Encoding.UTF8.GetString(nameBytes);
        if (matClass is < MatClass.Double or > MatClass.UInt64)
            return new MatVariable(path, name, matClass, dimensions, complex, 0, values: null, 0);
        var (storage, bytes, small) = ReadTag(path, stream);
        if (ElementSize(storage) == 0)
            throw new InvalidDataFileException($"{path}: {name} stores its values as {TypeName(storage)}, not a numeric type (corrupt).");
        return new MatVariable(path, name, matClass, dimensions, complex, storage, small is null ? stream : new MemoryStream(small), bytes);
    }

    /// <summary>A small subelement (flags, dimensions, name): its type and bytes, padding to 8 bytes consumed.</summary>
    private static (int Type, byte[] Bytes) ReadSubelement(string path, Stream stream)
    {
        var (type, size, small) = ReadTag(path, stream);
        if (small is not null)
            return (type, small);
        if (size > MaxHeaderElement)
            throw new InvalidDataFileException($"{path}: an array header field declares {size} bytes (corrupt).");
        var bytes = new byte[Padded(size)];
        ReadExactly(path, stream, bytes);
        return (type, bytes[..(int)size]);
    }

    private static long Padded(long size) => (size + 7) / 8 * 8;
}
