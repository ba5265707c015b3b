using static TorchSharp.torch;

namespace WebGen.Compute;

/// <summary>
/// libtorch draws from one default generator per process, and a web server trains and evaluates at once. Training
/// draws under <see cref="Shared"/>; a seeded section of the protocol (seed 0, binarise the test subset, draw the
/// bounds' samples) runs under <see cref="Seeded"/>, alone on the stream, and puts the stream back as it found it: the
/// evaluation gives the course's numbers and the training run goes on drawing exactly what it would have drawn.
/// </summary>
public static class RandomStream
{
    private static readonly ReaderWriterLockSlim Gate = new(LockRecursionPolicy.SupportsRecursion);

    /// <summary>Held while training draws (a step, a model's initialisation); concurrent runs may hold it together.</summary>
    public static Lease Shared()
    {
        Gate.EnterReadLock();
        return new Lease(Gate.ExitReadLock);
    }

    /// <summary>Seeds the stream for a training run (between, never inside, seeded sections).</summary>
    public static void Seed(long seed)
    {
        using (Shared())
            manual_seed(seed);
    }

    /// <summary>The stream alone, seeded with <paramref name="seed"/>; its previous (CPU) state comes back on dispose.</summary>
    public static Lease Seeded(long seed)
    {
        Gate.EnterWriteLock();
        var saved = random.get_rng_state();
        manual_seed(seed);
        return new Lease(() =>
        {
            random.set_rng_state(saved);
            saved.Dispose();
            Gate.ExitWriteLock();
        });
    }

    public readonly struct Lease(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
