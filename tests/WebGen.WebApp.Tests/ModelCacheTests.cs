using Microsoft.Extensions.Options;
using WebGen.WebApp.Explorers;

namespace WebGen.WebApp.Tests;

/// <summary>The explorers' one model cache: bounded, shared, and never disposing a model someone still borrows.</summary>
public sealed class ModelCacheTests
{
    private sealed class Model : IDisposable
    {
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    private static ModelCache Cache(int kept) => new(Options.Create(new ExplorerOptions { ModelsKept = kept }));

    /// <summary>Disposal of an evicted model runs as a continuation: wait for it rather than race it.</summary>
    private static async Task Until(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
            await Task.Delay(10, timeout.Token);
    }

    [Fact]
    public async Task OpeningMoreRunsThanKept_DisposesTheLeastRecentlyUsed_AndKeepsTheRest()
    {
        using var cache = Cache(kept: 2);
        var (a, b, c) = (new Model(), new Model(), new Model());
        using (await cache.BorrowAsync(Guid.NewGuid(), () => a)) { }
        var bId = Guid.NewGuid();
        using (await cache.BorrowAsync(bId, () => b)) { }
        using (await cache.BorrowAsync(Guid.NewGuid(), () => c)) { }

        await Until(() => a.Disposed);
        Assert.Equal(2, cache.Count);
        Assert.False(b.Disposed || c.Disposed);
        using var again = await cache.BorrowAsync(bId, () => new Model());
        Assert.Same(b, again.Value);
    }

    [Fact]
    public async Task AModelEvictedWhileBorrowed_IsDisposedOnlyAfterItsLeaseEnds()
    {
        using var cache = Cache(kept: 1);
        var borrowed = new Model();
        var lease = await cache.BorrowAsync(Guid.NewGuid(), () => borrowed);

        using (await cache.BorrowAsync(Guid.NewGuid(), () => new Model())) { }
        await Task.Delay(100);
        Assert.False(borrowed.Disposed);

        lease.Dispose();
        await Until(() => borrowed.Disposed);
    }

    [Fact]
    public async Task ConcurrentBorrowersOfOneRun_ShareOneOpenedModel()
    {
        using var cache = Cache(kept: 4);
        var opened = 0;
        var id = Guid.NewGuid();

        var leases = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => cache.BorrowAsync(id, () =>
        {
            Interlocked.Increment(ref opened);
            Thread.Sleep(50);
            return new Model();
        })));

        Assert.Equal(1, opened);
        Assert.Single(leases.Select(l => l.Value).Distinct());
        foreach (var lease in leases) lease.Dispose();
    }

    [Fact]
    public async Task AFailedOpen_IsNotKept_SoTheNextBorrowOpensAgain()
    {
        using var cache = Cache(kept: 4);
        var id = Guid.NewGuid();

        await Assert.ThrowsAsync<IOException>(() => cache.BorrowAsync<Model>(id, () => throw new IOException("broken checkpoint")));
        using var lease = await cache.BorrowAsync(id, () => new Model());

        Assert.False(lease.Value.Disposed);
        Assert.Equal(1, cache.Count);
    }
}
