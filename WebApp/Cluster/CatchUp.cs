using System.Data.Common;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Cluster;

/// <summary>
/// When this front end's Redis subscription is back after an outage, every run live now or finished since it was lost
/// is read again from the database and told to this front end's pages and to the hub's watchers, and so is every review
/// waiting, being evaluated or finished since: whatever they missed meanwhile, they end on the stored state (versions
/// make a repeated run state harmless; review pages read the reviews again).
/// </summary>
public sealed class CatchUp(RedisUpdateBus bus, IDbContextFactory<WebGenDb> dbFactory, IHubContext<RunsHub, IRunsClient> hub,
    ILogger<CatchUp> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        bus.Resumed += OnResumed;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        bus.Resumed -= OnResumed;
        return Task.CompletedTask;
    }

    /// <summary>The hub's backplane has a connection of its own, which may come back a little later than the bus's.</summary>
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private const int Attempts = 30;

    private void OnResumed(DateTime sinceUtc) => _ = CatchUpAsync(sinceUtc);

    private async Task CatchUpAsync(DateTime sinceUtc)
    {
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            if (await TryCatchUpAsync(sinceUtc, last: attempt == Attempts))
                return;
            await Task.Delay(RetryAfter);
        }
    }

    private async Task<bool> TryCatchUpAsync(DateTime sinceUtc, bool last)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var runs = await db.Runs.AsNoTracking()
                .Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running || r.FinishedUtc >= sinceUtc)
                .ToListAsync();
            foreach (var state in runs.Select(r => r.ToState()))
            {
                bus.Redeliver(state);
                await hub.Clients.Group(RunsHub.Group(state.Id)).RunUpdated(state);
            }
            var reviews = await db.Reviews.AsNoTracking()
                .Where(r => r.Status == ReviewStatus.Queued || r.Status == ReviewStatus.Evaluating || r.FinishedUtc >= sinceUtc)
                .ToListAsync();
            foreach (var review in reviews)
                bus.Redeliver(review.ToState());
            logger.LogInformation("Redis is back: {Runs} runs and {Reviews} reviews read again from the database for their watchers", runs.Count, reviews.Count);
            return true;
        }
        catch (Exception e) when (e is DbException or RedisException)
        {
            if (last)
                logger.LogWarning("Catching up after Redis came back failed {Attempts} times, last: {Reason}", Attempts, e.Message);
            return false;
        }
    }
}
