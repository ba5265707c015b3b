using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using WebGen.Compute.Data;

namespace WebGen.Tests;

/// <summary>
/// Just enough of the MAT-file level 5 format to write SVHN-shaped files and their broken variants in a test:
/// header, miMATRIX elements (names in the small element format, as MATLAB writes them), optional zlib compression.
/// </summary>
internal static class MatWriter
{
    public sealed record Variable(string Name, MatClass Class, int[] Dimensions, int Storage, byte[] Values);

    public static Variable UInt8(string name, int[] dimensions, byte[] values) => new(name, MatClass.UInt8, dimensions, 2, values);

    public static Variable Doubles(string name, int[] dimensions, double[] values)
    {
        var bytes = new byte[8 * values.Length];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
        return new(name, MatClass.Double, dimensions, 9, bytes);
    }

    /// <summary>An SVHN file: X (MATLAB-order bytes, 32×32×3×N) and y (N×1 doubles).</summary>
    public static byte[] Svhn(byte[] x, double[] y, bool compress) =>
        File([UInt8("X", [32, 32, 3, y.Length], x), Doubles("y", [y.Length, 1], y)], compress);

    public static byte[] File(IEnumerable<Variable> arrays, bool compress, ushort version = 0x0100, string endian = "IM")
    {
        using var file = new MemoryStream();
        var header = new byte[128];
        var text = Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, written by WebGen's tests");
        text.CopyTo(header, 0);
        Array.Fill(header, (byte)' ', text.Length, 116 - text.Length); // the text field is 116 bytes
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(124), version);
        Encoding.ASCII.GetBytes(endian).CopyTo(header, 126);
        file.Write(header);
        foreach (var array in arrays)
        {
            var matrix = Matrix(array);
            if (!compress)
            {
                file.Write(matrix);
                continue;
            }
            using var packed = new MemoryStream();
            using (var zlib = new ZLibStream(packed, CompressionLevel.Fastest, leaveOpen: true))
                zlib.Write(matrix);
            file.Write(Tag(15, (int)packed.Length));
            file.Write(packed.ToArray());
        }
        return file.ToArray();
    }

    private static byte[] Matrix(Variable array)
    {
        using var body = new MemoryStream();
        var flags = new byte[8];
        flags[0] = (byte)array.Class;
        body.Write(Element(6, flags));
        var dims = new byte[4 * array.Dimensions.Length];
        for (var i = 0; i < array.Dimensions.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(dims.AsSpan(4 * i), array.Dimensions[i]);
        body.Write(Element(5, dims));
        var name = Encoding.ASCII.GetBytes(array.Name);
        if (name.Length <= 4)
        {
            var small = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(small, (uint)(name.Length << 16 | 1));
            name.CopyTo(small, 4);
            body.Write(small);
        }
        else
        {
            body.Write(Element(1, name));
        }
        body.Write(Element(array.Storage, array.Values));
        return [.. Tag(14, (int)body.Length), .. body.ToArray()];
    }

    private static byte[] Element(int type, byte[] data)
    {
        var padded = new byte[(data.Length + 7) / 8 * 8];
        data.CopyTo(padded, 0);
        return [.. Tag(type, data.Length), .. padded];
    }

    private static byte[] Tag(int type, int size)
    {
        var tag = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tag, type);
        BinaryPrimitives.WriteInt32LittleEndian(tag.AsSpan(4), size);
        return tag;
    }
}
