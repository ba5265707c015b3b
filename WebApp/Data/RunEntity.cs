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

    /// <summary>How many times the server died while training this run (found still running at a start).</summary>
    public int Crashes { get; set; }

    /// <summary>Raised by every stored change of the run, so watchers on any front end can drop a late update.</summary>
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
