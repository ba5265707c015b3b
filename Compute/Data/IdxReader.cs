using System.Buffers.Binary;
using System.IO.Compression;

namespace WebGen.Compute.Data;

/// <summary>The file is not a valid IDX file of the expected kind; the message names the file and the problem.</summary>
public sealed class InvalidDataFileException(string message) : Exception(message);

/// <summary>
/// Reads LeCun's IDX format (big-endian header: magic 2051 for images, 2049 for labels, then the dimensions).
/// Accepts raw files and their gzip form (<c>.gz</c>).
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 2051;
    public const int LabelsMagic = 2049;

    /// <summary>Images as bytes, row-major: count × rows × cols.</summary>
    public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
    {
        var bytes = ReadAll(path);
        var dims = ReadHeader(bytes, path, ImagesMagic, dimensions: 3);
        var (count, rows, cols) = (dims[0], dims[1], dims[2]);
        return (Payload(bytes, path, 16, (long)count * rows * cols), count, rows, cols);
    }

    public static byte[] ReadLabels(string path)
    {
        var bytes = ReadAll(path);
        var count = ReadHeader(bytes, path, LabelsMagic, dimensions: 1)[0];
        return Payload(bytes, path, 8, count);
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing; `./webgen data mnist --fetch` fetches MNIST.", path);
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            return File.ReadAllBytes(path);
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }

    private static int[] ReadHeader(byte[] bytes, string path, int magic, int dimensions)
    {
        var headerLength = 4 + 4 * dimensions;
        if (bytes.Length < headerLength)
            throw new InvalidDataFileException($"{path}: {bytes.Length} bytes is too short for an IDX header ({headerLength} bytes).");
        var found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic)
            throw new InvalidDataFileException(
                $"{path}: magic number {found} is not {magic} (IDX {(magic == ImagesMagic ? "images" : "labels")}).");
        var dims = new int[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] <= 0)
                throw new InvalidDataFileException($"{path}: dimension {i} is {dims[i]}; IDX dimensions must be positive.");
        }
        return dims;
    }

    private static byte[] Payload(byte[] bytes, string path, int offset, long expected)
    {
        if (bytes.Length - offset != expected)
            throw new InvalidDataFileException(
                $"{path}: header promises {expected} data bytes but the file holds {bytes.Length - offset} (truncated or corrupt).");
        return bytes[offset..];
    }
}
