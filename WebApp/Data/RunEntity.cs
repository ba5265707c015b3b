using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebGen.WebApp.Data;

/// <summary>Where a run is. Stored by name, so reordering the values never changes stored data.</summary>
public enum RunStatus
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>A run as stored: its settings and results as JSON (<see cref="Shared.WebGenJson"/>), its latest progress as columns.</summary>
public sealed class RunEntity
{
    public Guid Id { get; set; }
    public Guid Group { get; set; }
    public required string OptionsJson { get; set; }
    public RunStatus Status { get; set; }
    public int Step { get; set; }
    public double Loss { get; set; }
    public double Kl { get; set; }
    public double Rec { get; set; }
    public double StepsPerSecond { get; set; }
    public int PreviewStep { get; set; }
    public string? TestAccuracyJson { get; set; }
    public string? MetricsJson { get; set; }
    public string? Checkpoint { get; set; }
    public string? Grid { get; set; }
    public string? Error { get; set; }
    public DateTime CreatedUtc { get; set; }
    public DateTime? FinishedUtc { get; set; }

    /// <summary>How many times the worker training this run died under it (its heartbeat stopped).</summary>
    public int Crashes { get; set; }

    /// <summary>
    /// Which take of the run by a worker this is: raised each time a worker takes it. Every write of the worker carries
    /// it and is refused once it moved on, so a worker that lost its run (a zombie) writes nothing more.
    /// </summary>
    public int Attempt { get; set; }

    /// <summary>The worker training the run (see <see cref="WorkerEntity"/>); null while queued or handed out but not taken.</summary>
    public string? WorkerId { get; set; }

    /// <summary>
    /// When the fair queue last let the run start: its "least recently served" reads it. A run handed out again after
    /// its worker died keeps it, so its student is not taken for served again.
    /// </summary>
    public DateTime? AdmittedUtc { get; set; }

    /// <summary>When the run was last handed to the job system (at its admission, or again after its worker died).</summary>
    public DateTime? HandedOutUtc { get; set; }

    /// <summary>The step of the run's newest checkpoint, as its worker recorded it (0 before the first).</summary>
    public int CheckpointStep { get; set; }

    /// <summary>
    /// The model file of that checkpoint, relative to the runs folder (WebGen:RunsFolder, shared by every worker);
    /// null before the first. A worker resumes from it, never from a listing of the run's folder.
    /// </summary>
    public string? CheckpointFile { get; set; }

    /// <summary>Set by a cancel from any front end; the worker training the run polls it.</summary>
    public bool CancelRequested { get; set; }

    /// <summary>Raised by every stored change of the run: watchers keep the newest, and two writers cannot both win.</summary>
    public long Version { get; set; }

    /// <summary>The account that queued the run (null in single mode), and its name as shown to instructors.</summary>
    public string? OwnerId { get; set; }
    public string? OwnerName { get; set; }

    /// <summary>Marked by an instructor: every student sees this completed run in the explorers.</summary>
    public bool IsDemo { get; set; }
}

public sealed class RunEntityConfiguration : IEntityTypeConfiguration<RunEntity>
{
    public void Configure(EntityTypeBuilder<RunEntity> run)
    {
        run.ToTable("Runs");
        run.Property(r => r.Status).HasConversion<string>();
        run.HasIndex(r => new { r.OwnerId, r.Status });
        run.HasIndex(r => new { r.Status, r.CreatedUtc });
        run.Property(r => r.Version).IsConcurrencyToken();
    }
}

/// <summary>A live worker process: its training slots, its device and its latest heartbeat (it is dead once that is older than the lease).</summary>
public sealed class WorkerEntity
{
    public required string Id { get; set; }
    public int Slots { get; set; }
    public required string Device { get; set; }
    public DateTime StartedUtc { get; set; }
    public DateTime HeartbeatUtc { get; set; }
}

public sealed class WorkerEntityConfiguration : IEntityTypeConfiguration<WorkerEntity>
{
    public void Configure(EntityTypeBuilder<WorkerEntity> worker)
    {
        worker.ToTable("Workers");
        worker.HasIndex(w => w.HeartbeatUtc);
    }
}

/// <summary>One stored point of a run's metric history (a few per second of training at most).</summary>
public sealed class MetricPointEntity
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public int Step { get; set; }
    public double Loss { get; set; }
    public double Kl { get; set; }
    public double Rec { get; set; }
    public double StepsPerSecond { get; set; }
    public DateTime AtUtc { get; set; }
}

public sealed class MetricPointEntityConfiguration : IEntityTypeConfiguration<MetricPointEntity>
{
    public void Configure(EntityTypeBuilder<MetricPointEntity> point)
    {
        point.ToTable("MetricPoints");
        point.HasIndex(p => new { p.RunId, p.Step });
    }
}
