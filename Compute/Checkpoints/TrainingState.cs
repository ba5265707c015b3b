using System.Text;
using WebGen.Compute.Training;

namespace WebGen.Compute.Checkpoints;

/// <summary>
/// Everything a run's next step depends on besides its weights: the step, its random stream's state, the epoch's
/// permutation and the position in it, and Adam's step counts and moments. A checkpoint keeps one beside its model
/// file, so a run resumed from it draws and updates exactly as the uninterrupted run did.
/// </summary>
/// <param name="Permutation">The epoch's order of the training images, a permutation of 0 … count − 1.</param>
/// <param name="Position">Where the next batch starts in it (at or past the end: the next step reshuffles).</param>
public sealed record TrainingState(int Step, byte[] Generator, long[] Permutation, long Position, IReadOnlyList<AdamMoments> Moments)
{
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("WebGen training state");
    private const int Version = 1;

    /// <summary>The run a state must fit: its training image count, batch size and parameters' sizes.</summary>
    public sealed record Shape(long Images, int BatchSize, IReadOnlyList<long> ParameterSizes);

    public void Write(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(Step);
        writer.Write(Position);
        writer.Write(Generator.Length);
        writer.Write(Generator);
        writer.Write(Permutation.LongLength);
        foreach (var row in Permutation)
            writer.Write(row);
        writer.Write(Moments.Count);
        foreach (var moments in Moments)
        {
            writer.Write(moments.Step);
            writer.Write(moments.ExpAvg.LongLength);
            foreach (var value in moments.ExpAvg)
                writer.Write(value);
            foreach (var value in moments.ExpAvgSq)
                writer.Write(value);
        }
    }

    /// <summary>
    /// The state at <paramref name="path"/>, for the checkpoint of <paramref name="step"/> of a run of
    /// <paramref name="shape"/>. The file's length is compared with the one such a state has before anything is
    /// read, and every field is checked before it is returned: a crafted, truncated or foreign file is refused.
    /// </summary>
    /// <exception cref="InvalidCheckpointException">The file is not this checkpoint's training state; the message says why.</exception>
    public static TrainingState Read(string path, int step, Shape shape)
    {
        var name = Path.GetFileName(path);
        var expected = LengthFor(shape);
        var length = new FileInfo(path).Length;
        if (length != expected)
            throw new InvalidCheckpointException(
                $"{name} has {length} bytes; the training state of this run ({shape.Images} images, {shape.ParameterSizes.Count} parameters) has {expected}{(length < expected ? ": it is truncated" : "")}.");
        using var reader = new BinaryReader(File.OpenRead(path));
        if (!reader.ReadBytes(Magic.Length).SequenceEqual(Magic) || reader.ReadInt32() != Version)
            throw new InvalidCheckpointException($"{name} is not a WebGen training state (version {Version}).");
        var savedStep = reader.ReadInt32();
        if (savedStep != step)
            throw new InvalidCheckpointException($"{name} is the state at step {savedStep}, not at the checkpoint's step {step}.");
        var position = reader.ReadInt64();
        if (position < 0 || position >= shape.Images + shape.BatchSize)
            throw new InvalidCheckpointException($"{name}: position {position} is outside 0 to {shape.Images + shape.BatchSize - 1}.");
        Expect(reader.ReadInt32(), RandomStream.StateLength, "generator state bytes", name);
        var generator = reader.ReadBytes(RandomStream.StateLength);
        try
        {
            RandomStream.CheckState(generator);
        }
        catch (ArgumentException e)
        {
            throw new InvalidCheckpointException($"{name}: {e.Message}", e);
        }
        Expect(reader.ReadInt64(), shape.Images, "permutation length", name);
        var permutation = new long[shape.Images];
        var seen = new bool[shape.Images];
        for (var i = 0; i < permutation.Length; i++)
        {
            var row = reader.ReadInt64();
            if (row < 0 || row >= shape.Images || seen[row])
                throw new InvalidCheckpointException($"{name}: the permutation is not one of 0 to {shape.Images - 1} (entry {i} is {row}).");
            (permutation[i], seen[row]) = (row, true);
        }
        Expect(reader.ReadInt32(), shape.ParameterSizes.Count, "parameter count", name);
        var moments = new AdamMoments[shape.ParameterSizes.Count];
        for (var p = 0; p < moments.Length; p++)
        {
            var adamStep = reader.ReadInt64();
            if (adamStep < 0)
                throw new InvalidCheckpointException($"{name}: parameter {p}'s Adam step is {adamStep}, below 0.");
            Expect(reader.ReadInt64(), shape.ParameterSizes[p], $"size of parameter {p}", name);
            moments[p] = new AdamMoments(adamStep, ReadFloats(reader, shape.ParameterSizes[p]), ReadFloats(reader, shape.ParameterSizes[p]));
        }
        return new TrainingState(step, generator, permutation, position, moments);
    }

    /// <summary>The length of a state of a run of <paramref name="shape"/>, field by field as <see cref="Write"/> writes them.</summary>
    private static long LengthFor(Shape shape) =>
        Magic.Length + sizeof(int) + sizeof(int) + sizeof(long)
        + sizeof(int) + RandomStream.StateLength
        + sizeof(long) + (shape.Images * sizeof(long))
        + sizeof(int) + shape.ParameterSizes.Sum(size => sizeof(long) + sizeof(long) + (2 * size * sizeof(float)));

    private static void Expect(long found, long expected, string what, string name)
    {
        if (found != expected)
            throw new InvalidCheckpointException($"{name}: its {what} is {found}; this run's is {expected}.");
    }

    private static float[] ReadFloats(BinaryReader reader, long count)
    {
        var values = new float[count];
        for (var i = 0; i < values.Length; i++)
            values[i] = reader.ReadSingle();
        return values;
    }
}
