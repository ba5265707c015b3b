using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using WebGen.Shared;
using WebGen.WebApp.Accounts;

namespace WebGen.WebApp.Runs;

/// <summary>A run as stored: its settings and results as JSON, its latest progress as columns.</summary>
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

    /// <summary>The account that queued the run (null in single mode), and its name as shown to instructors.</summary>
    public string? OwnerId { get; set; }
    public string? OwnerName { get; set; }

    public TrainingOptions Options => Deserialize<TrainingOptions>(OptionsJson);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, WebGenJson.Options);

    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, WebGenJson.Options)!;

    public RunState ToState()
    {
        var options = Options;
        var progress = Step > 0 ? new TrainingProgress(Step, options.Iterations, Loss, Kl, Rec, StepsPerSecond) : null;
        var metrics = MetricsJson is null ? null : JsonSerializer.Deserialize<RunMetrics>(MetricsJson, WebGenJson.Options);
        return new RunState(Id, Group, options, Status, progress, metrics, Error, CreatedUtc, FinishedUtc, PreviewStep, TestAccuracy, OwnerId, OwnerName);
    }

    /// <summary>An SSVAE's test accuracy at each preview so far (empty for other models).</summary>
    [System.ComponentModel.DataAnnotations.Schema.NotMapped]
    public IReadOnlyList<AccuracyPoint> TestAccuracy =>
        TestAccuracyJson is null ? [] : JsonSerializer.Deserialize<AccuracyPoint[]>(TestAccuracyJson, WebGenJson.Options)!;
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

    public MetricPoint ToPoint() => new(Step, Loss, Kl, Rec, StepsPerSecond, AtUtc);
}

/// <summary>Runs, their history, and the class: accounts (Identity's tables), settings and invitation codes.</summary>
public sealed class RunsDb(DbContextOptions<RunsDb> options) : IdentityDbContext<IdentityUser>(options)
{
    public DbSet<RunEntity> Runs => Set<RunEntity>();
    public DbSet<MetricPointEntity> MetricPoints => Set<MetricPointEntity>();
    public DbSet<ClassSettingsEntity> ClassSettings => Set<ClassSettingsEntity>();
    public DbSet<InvitationEntity> Invitations => Set<InvitationEntity>();
    public DbSet<Reviews.ReviewEntity> Reviews => Set<Reviews.ReviewEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<RunEntity>().HasIndex(r => new { r.OwnerId, r.Status });
        modelBuilder.Entity<ClassSettingsEntity>().Property(c => c.Id).ValueGeneratedNever();
        modelBuilder.Entity<ClassSettingsEntity>().Property(c => c.Registration).HasConversion<string>();
        modelBuilder.Entity<InvitationEntity>().HasKey(i => i.Code);
        modelBuilder.Entity<RunEntity>().Property(r => r.Status).HasConversion<string>();
        modelBuilder.Entity<RunEntity>().HasIndex(r => new { r.Status, r.CreatedUtc });
        modelBuilder.Entity<MetricPointEntity>().HasIndex(p => new { p.RunId, p.Step });
    }
}
