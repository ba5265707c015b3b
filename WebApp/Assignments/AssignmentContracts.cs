using WebGen.Compute.Checkpoints;
using WebGen.Compute.Evaluation;
using WebGen.Shared;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Assignments;

/// <summary>The assignments' settings, section "WebGen:Assignments".</summary>
public sealed class AssignmentOptions
{
    public const string Section = "WebGen:Assignments";

    /// <summary>How many times a student may submit to one part (the latest counts): a flood stops here.</summary>
    public int MaxSubmissionsPerPart { get; set; } = 20;

    /// <summary>
    /// Two submissions whose weights' cosine similarity reaches this are shown as near-identical. Independently trained
    /// runs stay far below it (the README gives the figures measured); a copy with noise added stays above.
    /// </summary>
    public double SimilarityThreshold { get; set; } = 0.99;

    /// <summary>The largest batch zip an instructor may upload.</summary>
    public long MaxBatchBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The most entries a batch zip may hold (a class of a few hundred students, several parts each).</summary>
    public int MaxBatchEntries { get; set; } = 2000;

    /// <summary>The most a batch zip may expand to, all entries together: a zip bomb stops here.</summary>
    public long MaxBatchExpandedBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>
    /// Previews not yet confirmed that are kept at once; a new upload removes the oldest beyond this, so zips uploaded
    /// and never confirmed cannot fill the disk.
    /// </summary>
    public int MaxUnconfirmedBatches { get; set; } = 5;
}

/// <summary>One part of an assignment as asked for: the model, the SSVAE variant, and the band (the grader's when null).</summary>
public sealed record PartRequest(ModelKind Model, double? SsvaeGenWeight = null, double? BandTarget = null, double? BandTolerance = null, double? Points = null);

/// <summary>An assignment as the instructor sets it.</summary>
public sealed record AssignmentRequest(string Title, DateTime DueUtc, IReadOnlyList<PartRequest> Parts)
{
    public const int MaxTitle = 200;
    public const int MaxParts = 12;
    public const double MaxPoints = 1000;
    public const double DefaultPoints = 10;

    /// <summary>Every field against its accepted values: the messages name the field, the value and what is accepted.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Title) || Title.Trim().Length > MaxTitle)
            errors.Add($"title: give the assignment a title (1 to {MaxTitle} characters).");
        if (DueUtc.Year is < 2000 or > 2100)
            errors.Add($"dueUtc: {DueUtc:O} is not a due date; accepted are dates from 2000 to 2100.");
        if (Parts.Count is 0 or > MaxParts)
            errors.Add($"parts: {Parts.Count} parts; an assignment asks for 1 to {MaxParts} models.");
        foreach (var (part, i) in Parts.Take(MaxParts).Select((p, i) => (p, i)))
        {
            var name = $"parts[{i}]";
            if (!ModelCheckpoint.Kinds.Contains(part.Model))
            {
                errors.Add($"{name}.model {ModelNames.Of(part.Model)}: accepted values are {string.Join(", ", ModelCheckpoint.Kinds.Select(ModelNames.Of))}.");
                continue;
            }
            if (part.Model == ModelKind.Ssvae && part.SsvaeGenWeight is not (0 or 1))
                errors.Add($"{name}.ssvaeGenWeight: say which SSVAE variant is graded: 0 (band {Grading.For(ModelKind.Ssvae, 0)}) or 1 (band {Grading.For(ModelKind.Ssvae, 1)}).");
            if (part.BandTarget is { } target && (!double.IsFinite(target) || Math.Abs(target) > 1e6))
                errors.Add($"{name}.bandTarget {target}: accepted is a finite number (e.g. the grader's {Grading.For(part.Model, part.SsvaeGenWeight ?? 1).Target}).");
            if (part.BandTolerance is { } tolerance && (!double.IsFinite(tolerance) || tolerance <= 0 || tolerance > 1e6))
                errors.Add($"{name}.bandTolerance {tolerance}: accepted is a positive number up to 1e6 (e.g. the grader's {Grading.For(part.Model, part.SsvaeGenWeight ?? 1).Tolerance}).");
            if (part.Points is { } points && (!double.IsFinite(points) || points <= 0 || points > MaxPoints))
                errors.Add($"{name}.points {points}: accepted are more than 0 and at most {MaxPoints}.");
        }
        var twice = Parts.GroupBy(p => (p.Model, Gw: p.Model == ModelKind.Ssvae ? p.SsvaeGenWeight : null)).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            errors.Add($"parts: {PartState.NameOf(twice.Key.Model, twice.Key.Gw)} is asked for twice; each model or variant is one part.");
        return errors;
    }
}

/// <summary>One part of an assignment: the model asked for, its band and its points.</summary>
public sealed record PartState(Guid Id, ModelKind Model, double? SsvaeGenWeight, GraderBand Band, double Points)
{
    /// <summary>"VAE", "GMVAE", "SSVAE gw=0".</summary>
    public string Name => NameOf(Model, SsvaeGenWeight);

    public static string NameOf(ModelKind model, double? ssvaeGenWeight) =>
        ModelNames.Title(model) + (model == ModelKind.Ssvae ? $" gw={ssvaeGenWeight:0}" : "");

    public static PartState Of(AssignmentPartEntity part) => new(
        part.Id, part.Model, part.SsvaeGenWeight,
        Grading.For(part.Model, part.SsvaeGenWeight ?? 1) with { Target = part.BandTarget, Tolerance = part.BandTolerance }, part.Points);
}

public sealed record AssignmentState(Guid Id, string Title, DateTime DueUtc, DateTime? ReleasedUtc, IReadOnlyList<PartState> Parts)
{
    public bool IsReleased => ReleasedUtc is not null;

    public static AssignmentState Of(AssignmentEntity assignment) => new(
        assignment.Id, assignment.Title, assignment.DueUtc, assignment.ReleasedUtc,
        [.. assignment.Parts.OrderBy(p => p.Position).Select(PartState.Of)]);
}

/// <summary>One change of a grade, as kept.</summary>
public sealed record GradeChange(double? FromPoints, double ToPoints, string By, string Reason, DateTime AtUtc);

/// <summary>A regrade request and its answer (null until answered).</summary>
public sealed record RegradeState(Guid Id, string Message, DateTime AskedUtc, string? Answer, DateTime? AnsweredUtc);

/// <summary>
/// What a WebGen run's submission records about the weights: the run, its owner, its options and the weights' hash.
/// The server signs this record, so an edited one no longer verifies.
/// </summary>
public sealed record Provenance(Guid RunId, string? OwnerId, string? OwnerName, TrainingOptions Options, string WeightsHash, DateTime? TrainedUtc);

/// <summary>
/// A submission as its student or the instructor sees it. Before the grades are released a student sees only what
/// was submitted and its status: <see cref="Metrics"/>, the grade and the comment are null for them.
/// </summary>
/// <param name="ProvenanceVerified">For the instructor: whether the run's record still matches its signature; null for an upload.</param>
/// <param name="MatchesRunOf">For the instructor: another account whose run here has exactly these weights.</param>
public sealed record SubmissionState(
    Guid Id,
    Guid AssignmentId,
    PartState Part,
    string Student,
    string FileName,
    Guid? RunId,
    DateTime SubmittedUtc,
    bool Late,
    ReviewStatus Status,
    bool Released,
    RunMetrics? Metrics,
    double? Value,
    bool? Pass,
    double? Points,
    string? Comment,
    string? Error,
    string? WeightsHash,
    Provenance? Provenance,
    bool? ProvenanceVerified,
    string? MatchesRunOf,
    IReadOnlyList<GradeChange> History,
    IReadOnlyList<RegradeState> Regrades);

/// <summary>Two submissions of one part whose weights are the same (<see cref="Identical"/>) or nearly so.</summary>
/// <param name="TrainedHereAlike">
/// Both are runs trained here whose signed records give the same options, seed included: WebGen's training is
/// deterministic, so two students who chose the same settings get the same weights without copying.
/// </param>
public sealed record DuplicatePair(string Part, Guid First, string FirstStudent, Guid Second, string SecondStudent, double Similarity, bool Identical, bool TrainedHereAlike);
