using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Compute;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>
/// A worker process's entry in the store: its slots and device, renewed every <see cref="WorkerOptions.Heartbeat"/>.
/// The dispatcher counts the slots of live workers and hands a dead one's runs out again. At start it gives each slot
/// its share of the CPU's cores (libtorch's intra-op threads); at a graceful stop the entry is removed at once.
/// </summary>
public sealed class WorkerHeartbeat(IDbContextFactory<WebGenDb> dbFactory, IOptions<WebGenOptions> options, ILogger<WorkerHeartbeat> logger)
    : BackgroundService
{
    /// <summary>This process's worker id: unique per process, so a restarted worker never passes for the one that died.</summary>
    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The device this worker trains on ("cuda" or "cpu").</summary>
    public string Device { get; } = options.Value.IsWorker ? Devices.Name("auto") : "none";

    /// <summary>The moment before which a worker's last heartbeat means it is dead.</summary>
    public static DateTime LiveSince(WorkerOptions worker) => DateTime.UtcNow - worker.Lease;

    private readonly DateTime startedUtc = DateTime.UtcNow;

    /// <summary>
    /// Stores the first heartbeat before the job server (started after this service) fetches a run: a run taken by a
    /// worker the store does not know yet would be taken for a dead worker's and handed out again.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.IsWorker)
        {
            if (Device == "cpu")
                WebGen.Compute.Devices.SetIntraOpThreads(Math.Max(1, Environment.ProcessorCount / settings.Worker.Slots));
            logger.LogInformation("Worker {Id}: {Slots} slot(s) on {Device}", Id, settings.Worker.Slots, Device);
            await BeatAsync(cancellationToken);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.IsWorker)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(settings.Worker.Heartbeat, stoppingToken);
            await BeatAsync(stoppingToken);
        }
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var entry = await db.Workers.SingleOrDefaultAsync(w => w.Id == Id, cancellationToken);
            if (entry is null)
                db.Workers.Add(entry = new WorkerEntity { Id = Id, Device = Device, StartedUtc = startedUtc });
            (entry.Slots, entry.HeartbeatUtc) = (options.Value.Worker.Slots, DateTime.UtcNow);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Worker {Id}: heartbeat not stored; trying again", Id); // the database may be restarting
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!options.Value.IsWorker)
            return;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.Workers.Where(w => w.Id == Id).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Worker {Id}: entry not removed; it expires after the lease", Id);
        }
    }
}
