using System.Security.Cryptography;
using System.Text;
using WebGen.Compute.Models;
using static TorchSharp.torch;

namespace WebGen.WebApp.Assignments;

/// <summary>
/// What identifies a model's weights whatever file they came in: a SHA-256 over every tensor in name order (a PyTorch
/// zip, a legacy file and a WebGen checkpoint of the same weights hash alike), and a sketch for the cosine similarity —
/// the flattened parameters at <see cref="SketchSize"/> coordinates drawn once with a fixed seed, so that two models of
/// the same shapes are sampled at the same places and the sketch's cosine estimates the whole vectors' cosine.
/// </summary>
/// <param name="Count">How many values the model has in all; sketches compare only between models of equal counts.</param>
public sealed record WeightsFingerprint(string Hash, long Count, float[] Sketch)
{
    public const int SketchSize = 65_536;
    private const int SketchSeed = 236;

    public static WeightsFingerprint Of(GenerativeModel model)
    {
        using var scope = NewDisposeScope();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var flat = new List<Tensor>();
        foreach (var (name, tensor) in model.state_dict().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var values = tensor.detach().to(float32).cpu().contiguous().flatten();
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData(values.bytes);
            flat.Add(values);
        }
        var all = cat(flat, 0);
        var count = all.shape[0];
        var sketch = count <= SketchSize ? all : all.index_select(0, tensor(Coordinates(count)));
        return new WeightsFingerprint(Convert.ToHexStringLower(sha.GetHashAndReset()), count, sketch.data<float>().ToArray());
    }

    /// <summary>The sampled coordinates for a model of <paramref name="count"/> values: the same for every model of that size.</summary>
    private static long[] Coordinates(long count)
    {
        var random = new Random(SketchSeed);
        var chosen = new HashSet<long>();
        while (chosen.Count < SketchSize)
            chosen.Add(random.NextInt64(count));
        return [.. chosen.Order()];
    }

    /// <summary>Writes the count and the sketch (little-endian float32) to a file beside the submission's checkpoint.</summary>
    public async Task SaveSketchAsync(string path, CancellationToken cancellationToken)
    {
        var bytes = new byte[sizeof(long) + (Sketch.Length * sizeof(float))];
        BitConverter.TryWriteBytes(bytes, Count);
        Buffer.BlockCopy(Sketch, 0, bytes, sizeof(long), Sketch.Length * sizeof(float));
        await File.WriteAllBytesAsync(path, bytes, cancellationToken);
    }

    /// <summary>A sketch written by <see cref="SaveSketchAsync"/>; null when the file is missing.</summary>
    public static (long Count, float[] Sketch)? ReadSketch(string path)
    {
        if (!File.Exists(path))
            return null;
        var bytes = File.ReadAllBytes(path);
        var sketch = new float[(bytes.Length - sizeof(long)) / sizeof(float)];
        Buffer.BlockCopy(bytes, sizeof(long), sketch, 0, sketch.Length * sizeof(float));
        return (BitConverter.ToInt64(bytes), sketch);
    }
}
