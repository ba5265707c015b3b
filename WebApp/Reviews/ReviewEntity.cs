using System.Text.Json;
using WebGen.Compute.Evaluation;
using WebGen.Shared;

namespace WebGen.WebApp.Reviews;

public enum ReviewStatus
{
    Queued,
    Evaluating,
    Done,
    Failed,
}

/// <summary>
/// A submission review as the page and the API show it: who, which model and file, the protocol's numbers once
/// evaluated, the band it is graded against and the instructor's comment.
/// </summary>
/// <param name="SsvaeGenWeight">The SSVAE variant graded (gw = 0 or 1); null for the VAE and GMVAE.</param>
public sealed record ReviewState(
    Guid Id,
    string Student,
    ModelKind Model,
    double? SsvaeGenWeight,
    string FileName,
    long FileBytes,
    string Format,
    int ZDim,
    int? K,
    ReviewStatus Status,
    RunMetrics? Metrics,
    string? Error,
    string Comment,
    DateTime CreatedUtc,
    DateTime? FinishedUtc)
{
    public GraderBand Band => Grading.For(Model, SsvaeGenWeight ?? 1);

    /// <summary>The graded value and pass/fail; null until evaluated.</summary>
    public (double Value, bool Pass)? Grade => Metrics is null ? null : Grading.Grade(Band, Metrics);

    public bool IsFinished => Status is ReviewStatus.Done or ReviewStatus.Failed;

    /// <summary>"VAE z=10", "GMVAE z=10 k=500", "SSVAE z=64, gw=0".</summary>
    public string ModelDescription => Model switch
    {
        ModelKind.Gmvae => $"GMVAE z={ZDim} k={K}",
        ModelKind.Ssvae => $"SSVAE z={ZDim}, gw={SsvaeGenWeight:0}",
        _ => $"{Model.ToString().ToUpperInvariant()} z={ZDim}",
    };
}

/// <summary>A review as stored (table Reviews of the runs database): its metrics as JSON, the files in its folder.</summary>
public sealed class ReviewEntity
{
    public Guid Id { get; set; }
    public required string Student { get; set; }
    public ModelKind Model { get; set; }
    public double? SsvaeGenWeight { get; set; }
    public required string FileName { get; set; }
    public long FileBytes { get; set; }
    public required string Format { get; set; }
    public int ZDim { get; set; }
    public int? K { get; set; }
    public ReviewStatus Status { get; set; }
    public string? MetricsJson { get; set; }
    public string? Error { get; set; }
    public string Comment { get; set; } = "";
    public DateTime CreatedUtc { get; set; }
    public DateTime? FinishedUtc { get; set; }

    public static string Serialize(RunMetrics metrics) => JsonSerializer.Serialize(metrics, WebGenJson.Options);

    public ReviewState ToState() => new(
        Id, Student, Model, SsvaeGenWeight, FileName, FileBytes, Format, ZDim, K, Status,
        MetricsJson is null ? null : JsonSerializer.Deserialize<RunMetrics>(MetricsJson, WebGenJson.Options),
        Error, Comment, CreatedUtc, FinishedUtc);
}
