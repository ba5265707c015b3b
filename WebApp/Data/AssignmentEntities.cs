using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebGen.Shared;

namespace WebGen.WebApp.Data;

/// <summary>A homework an instructor sets: its parts, due date, and whether students may see their grades yet.</summary>
public sealed class AssignmentEntity
{
    public Guid Id { get; set; }
    public required string Title { get; set; }
    public DateTime DueUtc { get; set; }
    public DateTime CreatedUtc { get; set; }

    /// <summary>When the instructor released the grades; students see results, grades and comments only after it.</summary>
    public DateTime? ReleasedUtc { get; set; }

    public List<AssignmentPartEntity> Parts { get; set; } = [];
}

/// <summary>One model an assignment asks for, graded against its band (the course grader's unless the instructor changed it).</summary>
public sealed class AssignmentPartEntity
{
    public Guid Id { get; set; }
    public Guid AssignmentId { get; set; }
    public int Position { get; set; }
    public ModelKind Model { get; set; }
    public double? SsvaeGenWeight { get; set; }
    public double BandTarget { get; set; }
    public double BandTolerance { get; set; }
    public double Points { get; set; }
}

/// <summary>
/// A student's submission to one part: the review that evaluates it (<see cref="ReviewEntity"/>), where the weights
/// came from, their hash, and the grade — the band's verdict until the instructor sets another.
/// </summary>
public sealed class SubmissionEntity
{
    public Guid Id { get; set; }
    public Guid AssignmentId { get; set; }
    public Guid PartId { get; set; }
    public required string StudentId { get; set; }
    public required string StudentName { get; set; }
    public Guid ReviewId { get; set; }
    public DateTime SubmittedUtc { get; set; }
    public bool Late { get; set; }

    /// <summary>SHA-256 of the weights (every tensor in name order), whatever the file's format.</summary>
    public required string WeightsHash { get; set; }

    /// <summary>The WebGen run submitted, when the weights were trained here; its signed record (JSON) and signature.</summary>
    public Guid? RunId { get; set; }
    public string? ProvenanceJson { get; set; }
    public string? ProvenanceSignature { get; set; }

    /// <summary>An uploaded file whose weights equal a run trained here by another account: that account's name.</summary>
    public string? MatchesRunOf { get; set; }

    /// <summary>The instructor's grade in points; null while the band's verdict stands.</summary>
    public double? PointsOverride { get; set; }
}

/// <summary>One change of a submission's grade: who set it, from what, to what and why. Never updated or deleted.</summary>
public sealed class GradeChangeEntity
{
    public long Id { get; set; }
    public Guid SubmissionId { get; set; }
    public double? FromPoints { get; set; }
    public double ToPoints { get; set; }
    public required string By { get; set; }
    public required string Reason { get; set; }
    public DateTime AtUtc { get; set; }
}

/// <summary>A student's request for a regrade and the instructor's answer.</summary>
public sealed class RegradeEntity
{
    public Guid Id { get; set; }
    public Guid SubmissionId { get; set; }
    public required string StudentId { get; set; }
    public required string Message { get; set; }
    public DateTime AskedUtc { get; set; }
    public string? Answer { get; set; }
    public DateTime? AnsweredUtc { get; set; }
}

public sealed class AssignmentEntityConfiguration : IEntityTypeConfiguration<AssignmentEntity>
{
    public void Configure(EntityTypeBuilder<AssignmentEntity> assignment)
    {
        assignment.ToTable("Assignments");
        assignment.HasMany(a => a.Parts).WithOne().HasForeignKey(p => p.AssignmentId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class AssignmentPartEntityConfiguration : IEntityTypeConfiguration<AssignmentPartEntity>
{
    public void Configure(EntityTypeBuilder<AssignmentPartEntity> part)
    {
        part.ToTable("AssignmentParts");
        // By name, like every enum WebGen stores.
        part.Property(p => p.Model).HasConversion(m => ModelNames.Of(m), name => ModelNames.Parse(name)!.Value);
    }
}

public sealed class SubmissionEntityConfiguration : IEntityTypeConfiguration<SubmissionEntity>
{
    public void Configure(EntityTypeBuilder<SubmissionEntity> submission)
    {
        submission.ToTable("Submissions");
        submission.HasIndex(s => new { s.AssignmentId, s.StudentId });
        submission.HasIndex(s => s.WeightsHash);
        submission.HasOne<AssignmentEntity>().WithMany().HasForeignKey(s => s.AssignmentId).OnDelete(DeleteBehavior.Cascade);
        submission.HasOne<AssignmentPartEntity>().WithMany().HasForeignKey(s => s.PartId).OnDelete(DeleteBehavior.NoAction);
    }
}

public sealed class GradeChangeEntityConfiguration : IEntityTypeConfiguration<GradeChangeEntity>
{
    public void Configure(EntityTypeBuilder<GradeChangeEntity> change)
    {
        change.ToTable("GradeChanges");
        change.HasIndex(c => c.SubmissionId);
    }
}

public sealed class RegradeEntityConfiguration : IEntityTypeConfiguration<RegradeEntity>
{
    public void Configure(EntityTypeBuilder<RegradeEntity> regrade)
    {
        regrade.ToTable("Regrades");
        regrade.HasIndex(r => r.SubmissionId);
    }
}
