using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebGen.Shared;

namespace WebGen.WebApp.Data;

public enum ReviewStatus
{
    Queued,
    Evaluating,
    Done,
    Failed,
}

/// <summary>A submission review as stored: its metrics as JSON (<see cref="WebGenJson"/>), the files in its folder.</summary>
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
}

public sealed class ReviewEntityConfiguration : IEntityTypeConfiguration<ReviewEntity>
{
    public void Configure(EntityTypeBuilder<ReviewEntity> review)
    {
        review.ToTable("Reviews");
        // By name, like every enum WebGen stores: the order of ModelKind or ReviewStatus is not part of the data.
        review.Property(r => r.Model).HasConversion(m => ModelNames.Of(m), name => ModelNames.Parse(name)!.Value);
        review.Property(r => r.Status).HasConversion<string>();
    }
}
