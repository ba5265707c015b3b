using WebGen.Compute.Checkpoints;
using WebGen.Compute.Evaluation;
using WebGen.Shared;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Reviews;

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
    public string ModelDescription =>
        ModelCheckpoint.Describe(TrainingOptions.For(Model) with { ZDim = ZDim, K = K ?? 0 })
        + (Model == ModelKind.Ssvae ? $", gw={SsvaeGenWeight:0}" : "");
}

/// <summary>How a stored review reads as the page and the API show it; its metrics column is read with <see cref="JsonColumn"/>.</summary>
public static class StoredReviews
{
    extension(ReviewEntity review)
    {
        public ReviewState ToState() => new(
            review.Id, review.Student, review.Model, review.SsvaeGenWeight, review.FileName, review.FileBytes, review.Format,
            review.ZDim, review.K, review.Status,
            review.MetricsJson is null ? null : JsonColumn.Read<RunMetrics>(review.MetricsJson),
            review.Error, review.Comment, review.CreatedUtc, review.FinishedUtc);
    }
}
