using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute;

/// <summary>
/// A run's own random stream: a generator that every draw of the run takes (shuffles, binarisations, z samples), so
/// what a seed trains never depends on what trains or evaluates beside it. A model's layers initialise from
/// libtorch's default generator (nn.Linear takes none), so <see cref="Initialise"/> does that alone on the default
/// generator, seeded, and the run's stream continues from the state it left: the draws are those of the homework's
/// PyTorch code, in the same order. Model code draws through <see cref="StandardNormal"/>, <see cref="Bernoulli"/>
/// and <see cref="Multinomial"/>, from the stream the calling thread is using (<see cref="Use"/>) or, with none, from
/// the default generator.
/// TorchSharp makes CPU generators only, so a CUDA run draws on the CPU and copies the draw to its device.
/// </summary>
public sealed class RandomStream : IDisposable
{
    // Held for every use of the default generator: a model's initialisation (seed, then draws) is never interleaved
    // with another thread's draws. Monitor is reentrant, so a model built inside Initialise takes it again freely.
    private static readonly Lock DefaultGenerator = new();

    [ThreadStatic] private static RandomStream? current;

    private readonly Generator generator;

    private RandomStream(Generator generator) => this.generator = generator;

    /// <summary>
    /// Runs <paramref name="initialise"/> (a model's construction) alone on the default generator seeded with
    /// <paramref name="seed"/>, and returns its result with the stream that continues from there.
    /// </summary>
    public static (T Value, RandomStream Stream) Initialise<T>(long seed, Func<T> initialise)
    {
        lock (DefaultGenerator)
        {
            manual_seed(seed);
            var value = initialise();
            return (value, ContinuingDefault());
        }
    }

    /// <summary>A stream that continues from the default generator's state now (a caller seeded it and built a model).</summary>
    public static RandomStream ContinuingDefault()
    {
        lock (DefaultGenerator)
        {
            using var state = random.get_rng_state();
            var generator = new Generator();
            generator.set_state(state);
            return new RandomStream(generator);
        }
    }

    /// <summary>A stream of its own seeded with <paramref name="seed"/>, as manual_seed(seed) would leave the default generator.</summary>
    public static RandomStream Seeded(long seed) => new(new Generator((ulong)seed));

    /// <summary>Runs <paramref name="build"/> (a model's construction, whose layers draw their initial values) alone on the default generator.</summary>
    public static T OnDefaultGenerator<T>(Func<T> build)
    {
        lock (DefaultGenerator)
            return build();
    }

    /// <summary>Until disposed, draws on this thread come from this stream; the stream used before comes back after.</summary>
    public Scope Use()
    {
        var previous = current;
        current = this;
        return new Scope(previous);
    }

    /// <summary>The generator's state: bytes that <see cref="Restore"/> takes back (a checkpoint keeps them).</summary>
    public byte[] State()
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    /// <summary>The length of <see cref="State"/>'s bytes.</summary>
    public static int StateLength { get; } = StateLengthOfFreshGenerator();

    /// <summary>
    /// Puts back a state that <see cref="State"/> gave. libtorch checks the Mersenne Twister's fields and throws
    /// through the native boundary (ending the process) when they are wrong, so they are checked here first.
    /// </summary>
    /// <exception cref="ArgumentException">The bytes are not a generator state.</exception>
    public void Restore(byte[] state)
    {
        CheckState(state);
        using var tensor = torch.tensor(state);
        generator.set_state(tensor);
    }

    /// <summary>Refuses bytes that libtorch would refuse as a generator state.</summary>
    /// <exception cref="ArgumentException">The bytes are not a generator state; the message says why.</exception>
    public static void CheckState(byte[] state)
    {
        if (state.Length != StateLength)
            throw new ArgumentException($"a generator state is {StateLength} bytes, not {state.Length}.");
        var left = BitConverter.ToInt32(state, LeftOffset);
        var seeded = BitConverter.ToInt32(state, SeededOffset);
        var next = (uint)BitConverter.ToUInt64(state, NextOffset);
        if (left is < 1 or > MersenneStateWords || seeded == 0 || next > MersenneStateWords)
            throw new ArgumentException("the generator state's Mersenne Twister position is out of range.");
    }

    // CPUGeneratorImplState as get_state lays it out: uint64 initial seed, int32 left, int32 seeded, uint64 next,
    // uint64[624] words (each a 32-bit word widened), then the normal samples' caches; 5056 bytes in all.
    internal const int LeftOffset = 8, SeededOffset = 12, NextOffset = 16, WordsOffset = 24, MersenneStateWords = 624,
        LayoutLength = 5056;

    private static int StateLengthOfFreshGenerator()
    {
        using var generator = new Generator();
        using var state = generator.get_state();
        return (int)state.numel();
    }

    /// <summary>A permutation of 0 … n − 1 on <paramref name="device"/>, as torch.randperm(n) draws it.</summary>
    public Tensor Permutation(long n, Device device) => OnDevice(randperm(n, generator: generator), device);

    /// <summary>ε ~ N(0, I) of <paramref name="shape"/>, as torch.randn_like draws it.</summary>
    public static Tensor StandardNormal(long[] shape, ScalarType dtype, Device device) => Draw(
        stream => OnDevice(randn(shape, dtype, generator: stream.generator), device),
        () => randn(shape, dtype, device));

    /// <summary>A binary draw x ~ Bern(p), elementwise, on p's device.</summary>
    public static Tensor Bernoulli(Tensor p) => Draw(
        stream => OnDevice(stream.BernoulliOnCpu(p.device_type == DeviceType.CPU ? p : p.cpu()), p.device),
        () => bernoulli(p));

    // torch.bernoulli(p, generator)'s draws, by MersenneBernoulli where it can take p.
    private Tensor BernoulliOnCpu(Tensor p) =>
        MersenneBernoulli.CanDraw(p) ? MersenneBernoulli.Draw(p, generator) : bernoulli(p, generator);

    /// <summary><paramref name="samples"/> category indices drawn with replacement from weights (k), on their device.</summary>
    public static Tensor Multinomial(Tensor weights, long samples) => Draw(
        stream => OnDevice(multinomial(weights.device_type == DeviceType.CPU ? weights : weights.cpu(), samples, replacement: true, stream.generator), weights.device),
        () => multinomial(weights, samples, replacement: true));

    private static Tensor Draw(Func<RandomStream, Tensor> fromStream, Func<Tensor> fromDefault)
    {
        if (current is { } stream)
            return fromStream(stream);
        lock (DefaultGenerator)
            return fromDefault();
    }

    // Every stream's generator is a CPU one: its draws are made there and copied to another device.
    private static Tensor OnDevice(Tensor drawn, Device device) => device.type == DeviceType.CPU ? drawn : drawn.to(device);

    public void Dispose() => generator.Dispose();

    public readonly struct Scope(RandomStream? previous) : IDisposable
    {
        public void Dispose() => current = previous;
    }
}
