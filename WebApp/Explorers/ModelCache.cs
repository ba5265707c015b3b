using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Explorers;

/// <summary>The explorers' settings, bound from the "WebGen:Explorers" configuration section.</summary>
public sealed class ExplorerOptions
{
    public const string Section = "WebGen:Explorers";

    /// <summary>
    /// How many opened models stay in memory, across every explorer. Each is a few megabytes of weights plus what it
    /// computed (the latent map of 10,000 test images: about 8 MB for MNIST at z = 10, 40 MB for SVHN).
    /// </summary>
    public int ModelsKept { get; set; } = 6;
}

/// <summary>A model borrowed from the <see cref="ModelCache"/>: disposing it hands it back.</summary>
public sealed class Lease<T>(T value, Action release) : IDisposable where T : class, IDisposable
{
    private Action? release = release;

    public T Value { get; } = value;

    public void Dispose() => Interlocked.Exchange(ref release, null)?.Invoke();
}

/// <summary>
/// The one cache of opened models for every explorer: the few most recently used runs stay loaded (at most
/// <see cref="ExplorerOptions.ModelsKept"/>), so every browser exploring a run shares one loaded model. A model is
/// borrowed through a <see cref="Lease{T}"/>; one evicted while borrowed is disposed when the last lease ends, never
/// while someone still uses it.
/// </summary>
public sealed class ModelCache(IOptions<ExplorerOptions> options) : IDisposable
{
    private sealed class Entry(Lazy<Task<IDisposable>> value)
    {
        public Lazy<Task<IDisposable>> Value { get; } = value;
        public int Leases;
        public bool Evicted;
        public long LastUsed;
    }

    private readonly Lock gate = new();
    private readonly Dictionary<(Guid, Type), Entry> entries = [];
    private long clock;
    private bool disposed;

    /// <summary>How many models are loaded or loading now.</summary>
    public int Count
    {
        get
        {
            lock (gate)
                return entries.Count;
        }
    }

    /// <summary>
    /// Borrows the <typeparamref name="T"/> of run <paramref name="runId"/>, opening it with <paramref name="open"/>
    /// (off the caller's thread) when it is not loaded; a failed open is not kept, so the next call tries again.
    /// </summary>
    public async Task<Lease<T>> BorrowAsync<T>(Guid runId, Func<T> open, CancellationToken cancellationToken = default)
        where T : class, IDisposable
    {
        var key = (runId, typeof(T));
        Entry entry;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!entries.TryGetValue(key, out entry!))
            {
                entry = new Entry(new(() => Task.Run<IDisposable>(open)));
                entries[key] = entry;
                EvictBeyondLimit(keep: key);
            }
            entry.Leases++;
            entry.LastUsed = ++clock;
        }
        try
        {
            var value = (T)await entry.Value.Value.WaitAsync(cancellationToken);
            return new Lease<T>(value, () => Release(key, entry));
        }
        catch
        {
            lock (gate)
                if (entries.TryGetValue(key, out var current) && current == entry && entry.Value.Value.IsFaulted)
                    entries.Remove(key);
            Release(key, entry);
            throw;
        }
    }

    private void EvictBeyondLimit((Guid, Type) keep)
    {
        while (entries.Count > Math.Max(1, options.Value.ModelsKept))
        {
            var (oldestKey, oldest) = entries.Where(e => !e.Key.Equals(keep)).MinBy(e => e.Value.LastUsed);
            entries.Remove(oldestKey);
            oldest.Evicted = true;
            if (oldest.Leases == 0)
                DisposeWhenLoaded(oldest);
        }
    }

    private void Release((Guid, Type) key, Entry entry)
    {
        lock (gate)
        {
            entry.Leases--;
            if (entry.Evicted && entry.Leases == 0)
                DisposeWhenLoaded(entry);
        }
    }

    private static void DisposeWhenLoaded(Entry entry) =>
        _ = entry.Value.Value.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully)
                t.Result.Dispose();
        }, TaskScheduler.Default);

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            foreach (var entry in entries.Values)
            {
                entry.Evicted = true;
                if (entry.Leases == 0)
                    DisposeWhenLoaded(entry);
            }
            entries.Clear();
        }
    }
}
