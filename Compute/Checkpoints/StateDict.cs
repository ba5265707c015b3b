using TorchSharp;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Checkpoints;

/// <summary>How a checkpoint file was written.</summary>
public enum CheckpointFormat
{
    /// <summary><c>torch.save</c> of PyTorch ≥ 1.6: a zip of <c>data.pkl</c> and one entry per storage.</summary>
    PyTorchZip,

    /// <summary><c>torch.save(..., _use_new_zipfile_serialization=False)</c> and PyTorch &lt; 1.6: pickles, then raw storages.</summary>
    PyTorchLegacy,

    /// <summary>WebGen's own: TorchSharp's <c>Module.save</c>.</summary>
    WebGen,
}

/// <summary>A checkpoint file that cannot be read or loaded; the message names what is wrong and what is accepted.</summary>
public class InvalidCheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A checkpoint file that is larger than its reader accepts.</summary>
public sealed class CheckpointTooLargeException(string message) : InvalidCheckpointException(message);

/// <summary>
/// Sees every tensor's name and shape as a checkpoint declares them, before any tensor is allocated; throws an
/// <see cref="InvalidCheckpointException"/> to refuse them.
/// </summary>
public delegate void ShapeCheck(IReadOnlyDictionary<string, long[]> shapes);

/// <summary>Parameter names and CPU tensors read from a checkpoint file, before any model is built from them.</summary>
public sealed class StateDict(CheckpointFormat format, IReadOnlyDictionary<string, Tensor> tensors) : IDisposable
{
    /// <summary>More values than any homework model has by far (the SSVAE has about 1.04 million).</summary>
    public const long MaxValues = 50_000_000;

    public CheckpointFormat Format { get; } = format;

    public IReadOnlyDictionary<string, Tensor> Tensors { get; } = tensors;

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
            tensor.Dispose();
    }

    /// <summary>Which of the three formats <paramref name="file"/> is in, told apart by its first bytes.</summary>
    public static CheckpointFormat FormatOf(ReadOnlySpan<byte> file) =>
        PyTorchStateDict.IsZip(file) ? CheckpointFormat.PyTorchZip
        : PyTorchStateDict.IsLegacy(file) ? CheckpointFormat.PyTorchLegacy
        : CheckpointFormat.WebGen;

    /// <summary>
    /// Reads a checkpoint in any of the three formats: a zip (PyTorch ≥ 1.6), a pickle (legacy PyTorch), or
    /// TorchSharp's format (WebGen). <paramref name="what"/> names the file in errors. <paramref name="checkShapes"/>
    /// sees every tensor's name and shape as the file declares them before any tensor is allocated, and refuses
    /// those of no model asked for by throwing; so memory follows the expected model, not the file's claims.
    /// </summary>
    /// <exception cref="InvalidCheckpointException">Whatever is wrong with the file, in one line naming it.</exception>
    public static StateDict Read(byte[] file, string what, ShapeCheck checkShapes)
    {
        try
        {
            return FormatOf(file) switch
            {
                CheckpointFormat.PyTorchZip => PyTorchStateDict.ReadZip(file, what, checkShapes),
                CheckpointFormat.PyTorchLegacy => PyTorchStateDict.ReadLegacy(file, what, checkShapes),
                _ => TorchSharpStateDict.Read(file, what, checkShapes),
            };
        }
        catch (Exception e) when (e is not (InvalidCheckpointException or OutOfMemoryException or OperationCanceledException))
        {
            // The readers check every size and reading before acting on it; this names the file should one slip through.
            throw new InvalidCheckpointException($"{what} cannot be read as a checkpoint ({e.GetType().Name}: {FirstLine(e.Message)}).", e);
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd();

    /// <summary>The element count of <paramref name="shape"/>, saturating just above <see cref="MaxValues"/> so crafted sizes cannot overflow it.</summary>
    public static long Numel(IEnumerable<long> shape)
    {
        const long cap = MaxValues + 1;
        long numel = 1;
        foreach (var size in shape)
            numel = size <= 0 ? 0 : numel > cap / size ? cap : Math.Min(numel * size, cap);
        return numel;
    }

    /// <summary>Reads a whole file, refusing one over <paramref name="maxBytes"/> with the sizes in the message.</summary>
    public static byte[] ReadAllBytes(Stream stream, long maxBytes, string what)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw TooLarge(what, maxBytes);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary><see cref="ReadAllBytes"/> for streams that only read asynchronously (a browser upload).</summary>
    public static async Task<byte[]> ReadAllBytesAsync(Stream stream, long maxBytes, string what, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw TooLarge(what, maxBytes);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public static CheckpointTooLargeException TooLarge(string what, long maxBytes) =>
        new($"{what} is larger than the limit of {ByteSize.Describe(maxBytes)}; a homework checkpoint is 3 to 5 MB.");

    /// <summary>A name read from a file, as one line of a message: control characters (a newline…) become '?'.</summary>
    public static string Printable(string text) =>
        text.Any(char.IsControl) ? new string([.. text.Select(c => char.IsControl(c) ? '?' : c)]) : text;

    /// <summary>"300×784" as error messages write a shape.</summary>
    public static string Shape(IEnumerable<long> shape) => shape.Any() ? string.Join("×", shape) : "a scalar";

    /// <summary>A CPU tensor of <paramref name="dtype"/> holding little-endian <paramref name="bytes"/>.</summary>
    internal static Tensor FromBytes(ReadOnlySpan<byte> bytes, ScalarType dtype, long[] shape)
    {
        var tensor = empty(shape, dtype);
        bytes.CopyTo(tensor.bytes);
        return tensor;
    }

    /// <summary>Bytes per element of the types a checkpoint may hold; null for the others.</summary>
    internal static int? ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => null,
    };
}
