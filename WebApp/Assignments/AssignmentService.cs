using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Compute.Checkpoints;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;
using static TorchSharp.torch;

namespace WebGen.WebApp.Assignments;

/// <summary>
/// Assignments and their submissions. A submission is a review (<see cref="ReviewService"/> reads, checks, stores and
/// queues it; a worker evaluates it (<see cref="ReviewJob"/>) with the protocol) tied to an assignment's part and a student,
/// with the weights' fingerprint, the run's signed provenance when it was trained here, and the grade's history.
/// Every method takes the <see cref="Viewer"/> and answers only what that viewer may see or do.
/// </summary>
public sealed class AssignmentService(
    IDbContextFactory<WebGenDb> dbFactory,
    ReviewService reviews,
    RunCatalog runs,
    IDataProtectionProvider protection,
    IOptions<AssignmentOptions> options,
    ILogger<AssignmentService> logger)
{
    public const string SketchFile = "weights.sketch";
    public const int MaxMessage = 4000;
    public const int MaxReason = 1000;
    public const string InstructorOnly = "Only the instructor may do this; students submit, read their own submissions and ask for regrades.";

    private readonly IDataProtector signer = protection.CreateProtector("WebGen.Assignments.Provenance");

    /// <summary>Raised after a change to assignments, submissions or grades, so open pages redraw.</summary>
    public event Action? Changed;

    public async Task<(AssignmentState? Assignment, IReadOnlyList<string> Errors)> CreateAsync(AssignmentRequest request, CancellationToken cancellationToken = default)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
            return (null, errors);
        var assignment = new AssignmentEntity
        {
            Id = Guid.NewGuid(),
            Title = request.Title.Trim(),
            DueUtc = DateTime.SpecifyKind(request.DueUtc, DateTimeKind.Utc),
            CreatedUtc = DateTime.UtcNow,
        };
        foreach (var (part, position) in request.Parts.Select((p, i) => (p, i)))
        {
            var gw = part.Model == ModelKind.Ssvae ? part.SsvaeGenWeight : null;
            var band = Compute.Evaluation.Grading.For(part.Model, gw ?? 1);
            assignment.Parts.Add(new AssignmentPartEntity
            {
                Id = Guid.NewGuid(),
                Position = position,
                Model = part.Model,
                SsvaeGenWeight = gw,
                BandTarget = part.BandTarget ?? band.Target,
                BandTolerance = part.BandTolerance ?? band.Tolerance,
                Points = part.Points ?? AssignmentRequest.DefaultPoints,
            });
        }
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.Assignments.Add(assignment);
            await db.SaveChangesAsync(cancellationToken);
        }
        logger.LogInformation("Assignment {Id} {Title} created with {Parts} parts", assignment.Id, assignment.Title, assignment.Parts.Count);
        Changed?.Invoke();
        return (AssignmentState.Of(assignment), []);
    }

    /// <summary>Every assignment, the soonest due first.</summary>
    public async Task<IReadOnlyList<AssignmentState>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var all = await db.Assignments.AsNoTracking().Include(a => a.Parts).ToListAsync(cancellationToken);
        return [.. all.OrderBy(a => a.DueUtc).Select(AssignmentState.Of)];
    }

    public async Task<AssignmentState?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var assignment = await db.Assignments.AsNoTracking().Include(a => a.Parts).SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        return assignment is null ? null : AssignmentState.Of(assignment);
    }

    /// <summary>Lets students see their results, grades and comments (or hides them again).</summary>
    public async Task<AssignmentState?> ReleaseAsync(Guid id, bool released, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var assignment = await db.Assignments.Include(a => a.Parts).SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (assignment is null)
            return null;
        assignment.ReleasedUtc = released ? assignment.ReleasedUtc ?? DateTime.UtcNow : null;
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Assignment {Id}: grades {Released}", id, released ? "released" : "withdrawn");
        Changed?.Invoke();
        return AssignmentState.Of(assignment);
    }

    /// <summary>
    /// A student's upload of a checkpoint (the homework's PyTorch code or WebGen) to one part: read within the upload
    /// limit, checked by the one loader, fingerprinted, and queued for review; or what is wrong.
    /// </summary>
    /// <exception cref="CheckpointTooLargeException">The file is over the limit (the API answers 413).</exception>
    public async Task<(SubmissionState? Submission, string? Error)> SubmitFileAsync(
        Viewer student, Guid assignmentId, Guid partId, string fileName, Stream content, CancellationToken cancellationToken = default)
    {
        var (assignment, part, refusal) = await TargetAsync(student, assignmentId, partId, cancellationToken);
        if (refusal is not null)
            return (null, refusal);
        var file = await StateDict.ReadAllBytesAsync(content, reviews.MaxUploadBytes, fileName, cancellationToken);
        return await SubmitAsync(student, assignment!, part!, Path.GetFileName(fileName), file, run: null, cancellationToken);
    }

    /// <summary>A student's own completed WebGen run, submitted to one part with its signed provenance.</summary>
    public async Task<(SubmissionState? Submission, string? Error)> SubmitRunAsync(
        Viewer student, Guid assignmentId, Guid partId, Guid runId, CancellationToken cancellationToken = default)
    {
        var (assignment, part, refusal) = await TargetAsync(student, assignmentId, partId, cancellationToken);
        if (refusal is not null)
            return (null, refusal);
        var run = await runs.GetAsync(runId, cancellationToken);
        // Another student's run reads as no run at all: its existence is not theirs to learn.
        if (run is null || run.OwnerId != student.UserId)
            return (null, $"run {runId}: you have no such run; submit one of your own completed runs.");
        if (run.Status != RunStatus.Completed)
            return (null, $"run {runId} is {run.Status.ToString().ToLowerInvariant()}; only a completed run can be submitted.");
        if (run.Options.Model != part!.Model || (part.Model == ModelKind.Ssvae && run.Options.GenWeight != part.SsvaeGenWeight))
            return (null, $"run {runId} trained {PartState.NameOf(run.Options.Model, run.Options.GenWeight)}; this part asks for {part.Name}.");
        var (checkpoint, _) = await runs.ArtifactsAsync(runId, cancellationToken);
        if (checkpoint is null || !File.Exists(checkpoint))
            return (null, $"run {runId} has no final checkpoint to submit.");
        var file = await File.ReadAllBytesAsync(checkpoint, cancellationToken);
        return await SubmitAsync(student, assignment!, part, $"run-{runId:N}.pt", file, run, cancellationToken);
    }

    private async Task<(AssignmentState? Assignment, PartState? Part, string? Refusal)> TargetAsync(
        Viewer student, Guid assignmentId, Guid partId, CancellationToken cancellationToken)
    {
        if (student.UserId is null || student.IsInstructor)
            return (null, null, "Only a signed-in student submits to an assignment (class mode); instructors review uploads on the Reviews page.");
        var assignment = await GetAsync(assignmentId, cancellationToken);
        if (assignment is null)
            return (null, null, $"There is no assignment {assignmentId}.");
        var part = assignment.Parts.FirstOrDefault(p => p.Id == partId);
        if (part is null)
            return (assignment, null, $"part {partId}: assignment {assignment.Title} asks for {string.Join(", ", assignment.Parts.Select(p => $"{p.Name} ({p.Id})"))}.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var count = await db.Submissions.CountAsync(s => s.PartId == partId && s.StudentId == student.UserId, cancellationToken);
        if (count >= options.Value.MaxSubmissionsPerPart)
            return (assignment, part, $"You have submitted {part.Name} {count} times; the limit is {options.Value.MaxSubmissionsPerPart} (the latest counts).");
        return (assignment, part, null);
    }

    private async Task<(SubmissionState?, string?)> SubmitAsync(
        Viewer student, AssignmentState assignment, PartState part, string fileName, byte[] file, RunState? run, CancellationToken cancellationToken)
    {
        WeightsFingerprint fingerprint;
        try
        {
            fingerprint = await Task.Run(() =>
            {
                using var loaded = ModelCheckpoint.Load(file, part.Model, CPU, fileName);
                return WeightsFingerprint.Of(loaded.Model);
            }, cancellationToken);
        }
        catch (InvalidCheckpointException e)
        {
            return (null, e.Message);
        }
        var request = new ReviewRequest(student.Name ?? student.UserId!, part.Model, part.SsvaeGenWeight, fileName);
        var (review, error) = await reviews.CreateAsync(request, new MemoryStream(file), cancellationToken);
        if (review is null)
            return (null, error);
        await fingerprint.SaveSketchAsync(Path.Combine(reviews.Folder(review.Id), SketchFile), cancellationToken);

        var submission = new SubmissionEntity
        {
            Id = Guid.NewGuid(),
            AssignmentId = assignment.Id,
            PartId = part.Id,
            StudentId = student.UserId!,
            StudentName = request.Student,
            ReviewId = review.Id,
            SubmittedUtc = DateTime.UtcNow,
            WeightsHash = fingerprint.Hash,
        };
        submission.Late = submission.SubmittedUtc > assignment.DueUtc;
        if (run is not null)
        {
            var provenance = new Provenance(run.Id, run.OwnerId, run.Owner, run.Options, fingerprint.Hash, run.FinishedUtc);
            submission.RunId = run.Id;
            submission.ProvenanceJson = JsonColumn.Write(provenance);
            submission.ProvenanceSignature = Sign(submission.ProvenanceJson);
        }
        else
        {
            submission.MatchesRunOf = await RunOfAnotherAsync(student, part.Model, fingerprint.Hash, cancellationToken);
        }
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.Submissions.Add(submission);
            await db.SaveChangesAsync(cancellationToken);
        }
        logger.LogInformation("Submission {Id}: {Student} submitted {Part} of {Assignment}{Late}", submission.Id, submission.StudentName, part.Name, assignment.Title, submission.Late ? " late" : "");
        Changed?.Invoke();
        return (await GetSubmissionAsync(student, submission.Id, cancellationToken), null);
    }

    /// <summary>The signature of a provenance record: the server's Data Protection key authenticates its SHA-256.</summary>
    private string Sign(string record) => Convert.ToBase64String(signer.Protect(SHA256.HashData(Encoding.UTF8.GetBytes(record))));

    private bool Verifies(string record, string signature)
    {
        try
        {
            return signer.Unprotect(Convert.FromBase64String(signature)).AsSpan().SequenceEqual(SHA256.HashData(Encoding.UTF8.GetBytes(record)));
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// The name of another account whose run here has exactly these weights: first among the runs already submitted
    /// (their hashes are stored), then among the completed runs of that model, each run's hash computed once.
    /// </summary>
    private async Task<string?> RunOfAnotherAsync(Viewer student, ModelKind model, string hash, CancellationToken cancellationToken)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var submitted = await db.Submissions.AsNoTracking()
                .Where(s => s.RunId != null && s.WeightsHash == hash && s.StudentId != student.UserId)
                .OrderBy(s => s.SubmittedUtc).Select(s => s.StudentName).FirstOrDefaultAsync(cancellationToken);
            if (submitted is not null)
                return submitted;
        }
        foreach (var run in await runs.ListAsync(Viewer.Single, cancellationToken))
        {
            if (run.OwnerId == student.UserId || run.Status != RunStatus.Completed || run.Options.Model != model)
                continue;
            if (await RunHashAsync(run.Id, model, cancellationToken) == hash)
                return run.Owner ?? run.OwnerId;
        }
        return null;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string?> runHashes = new();

    /// <summary>A completed run's weights hash; a completed run's final checkpoint never changes, so it is kept.</summary>
    private async Task<string?> RunHashAsync(Guid runId, ModelKind model, CancellationToken cancellationToken)
    {
        if (runHashes.TryGetValue(runId, out var known))
            return known;
        var (checkpoint, _) = await runs.ArtifactsAsync(runId, cancellationToken);
        string? hash = null;
        if (checkpoint is not null && File.Exists(checkpoint))
        {
            try
            {
                hash = await Task.Run(() =>
                {
                    using var loaded = ModelCheckpoint.Load(checkpoint, model, CPU);
                    return WeightsFingerprint.Of(loaded.Model).Hash;
                }, cancellationToken);
            }
            catch (InvalidCheckpointException e)
            {
                logger.LogWarning("Run {Id}: its checkpoint could not be read for the provenance check: {Error}", runId, e.Message);
            }
        }
        return runHashes[runId] = hash;
    }

    /// <summary>The submissions <paramref name="viewer"/> may see: all of an assignment's for the instructor, a student's own.</summary>
    public async Task<IReadOnlyList<SubmissionState>> SubmissionsAsync(Viewer viewer, Guid assignmentId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Submissions.AsNoTracking().Where(s => s.AssignmentId == assignmentId);
        if (!viewer.IsInstructor)
            query = query.Where(s => viewer.UserId != null && s.StudentId == viewer.UserId);
        var found = await query.ToListAsync(cancellationToken);
        return await StatesAsync(db, viewer, found.OrderByDescending(s => s.SubmittedUtc).ToList(), cancellationToken);
    }

    /// <summary>One submission, or null when there is none or it is another student's (the same answer, so ids reveal nothing).</summary>
    public async Task<SubmissionState?> GetSubmissionAsync(Viewer viewer, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var submission = await db.Submissions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (submission is null || !viewer.MaySeeOwnedBy(submission.StudentId))
            return null;
        return (await StatesAsync(db, viewer, [submission], cancellationToken)).Single();
    }

    private async Task<IReadOnlyList<SubmissionState>> StatesAsync(WebGenDb db, Viewer viewer, List<SubmissionEntity> submissions, CancellationToken cancellationToken)
    {
        var ids = submissions.Select(s => s.Id).ToList();
        var reviewIds = submissions.Select(s => s.ReviewId).ToList();
        var assignmentIds = submissions.Select(s => s.AssignmentId).Distinct().ToList();
        var assignments = (await db.Assignments.AsNoTracking().Include(a => a.Parts).Where(a => assignmentIds.Contains(a.Id)).ToListAsync(cancellationToken))
            .ToDictionary(a => a.Id, AssignmentState.Of);
        var reviewStates = (await db.Reviews.AsNoTracking().Where(r => reviewIds.Contains(r.Id)).ToListAsync(cancellationToken))
            .ToDictionary(r => r.Id, r => r.ToState());
        var changes = (await db.GradeChanges.AsNoTracking().Where(c => ids.Contains(c.SubmissionId)).ToListAsync(cancellationToken)).ToLookup(c => c.SubmissionId);
        var regrades = (await db.Regrades.AsNoTracking().Where(r => ids.Contains(r.SubmissionId)).ToListAsync(cancellationToken)).ToLookup(r => r.SubmissionId);
        return [.. submissions.Select(s =>
        {
            var assignment = assignments[s.AssignmentId];
            var part = assignment.Parts.Single(p => p.Id == s.PartId);
            var review = reviewStates[s.ReviewId];
            var shown = viewer.IsInstructor || assignment.IsReleased;
            var verdict = review.Metrics is null ? null : Compute.Evaluation.Grading.Grade(part.Band, review.Metrics);
            double? points = s.PointsOverride ?? (verdict is { } v ? (v.Pass ? part.Points : 0) : null);
            var provenance = viewer.IsInstructor && s.ProvenanceJson is not null ? JsonColumn.Read<Provenance>(s.ProvenanceJson) : null;
            return new SubmissionState(
                s.Id, s.AssignmentId, part, s.StudentName, review.FileName, s.RunId, s.SubmittedUtc, s.Late, review.Status,
                assignment.IsReleased,
                shown ? review.Metrics : null,
                shown ? verdict?.Value : null,
                shown ? verdict?.Pass : null,
                shown ? points : null,
                shown ? review.Comment : null,
                shown ? review.Error : null,
                viewer.IsInstructor ? s.WeightsHash : null,
                provenance,
                viewer.IsInstructor && s.ProvenanceJson is not null ? Verifies(s.ProvenanceJson, s.ProvenanceSignature ?? "") : null,
                viewer.IsInstructor ? s.MatchesRunOf : null,
                shown ? [.. changes[s.Id].OrderBy(c => c.Id).Select(c => new GradeChange(c.FromPoints, c.ToPoints, c.By, c.Reason, c.AtUtc))] : [],
                [.. regrades[s.Id].OrderBy(r => r.AskedUtc).Select(r => new RegradeState(r.Id, r.Message, r.AskedUtc, r.Answer, r.AnsweredUtc))]);
        })];
    }

    /// <summary>The instructor's comment, stored on the submission's review (one comment, wherever it is read).</summary>
    public async Task<(SubmissionState? Submission, string? Error)> CommentAsync(Viewer instructor, Guid id, string comment, CancellationToken cancellationToken = default)
    {
        if (!instructor.IsInstructor)
            return (null, InstructorOnly);
        if (await GetSubmissionAsync(instructor, id, cancellationToken) is null)
            return (null, null);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var reviewId = await db.Submissions.Where(s => s.Id == id).Select(s => s.ReviewId).SingleAsync(cancellationToken);
        var (_, error) = await reviews.SaveCommentAsync(reviewId, comment, cancellationToken);
        if (error is not null)
            return (null, error);
        Changed?.Invoke();
        return (await GetSubmissionAsync(instructor, id, cancellationToken), null);
    }

    /// <summary>The instructor sets a grade in points (0 to the part's points), with the reason; the change is kept.</summary>
    public async Task<(SubmissionState? Submission, string? Error)> SetPointsAsync(Viewer instructor, Guid id, double points, string reason, CancellationToken cancellationToken = default)
    {
        if (!instructor.IsInstructor)
            return (null, InstructorOnly);
        var current = await GetSubmissionAsync(instructor, id, cancellationToken);
        if (current is null)
            return (null, null);
        if (!double.IsFinite(points) || points < 0 || points > current.Part.Points)
            return (null, $"points {points}: accepted are 0 to {current.Part.Points} (the points of {current.Part.Name}).");
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReason)
            return (null, $"reason: say why the grade changes (1 to {MaxReason} characters).");
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var submission = await db.Submissions.SingleAsync(s => s.Id == id, cancellationToken);
            db.GradeChanges.Add(new GradeChangeEntity
            {
                SubmissionId = id,
                FromPoints = current.Points,
                ToPoints = points,
                By = instructor.Name ?? "instructor",
                Reason = reason.Trim(),
                AtUtc = DateTime.UtcNow,
            });
            submission.PointsOverride = points;
            await db.SaveChangesAsync(cancellationToken);
        }
        Changed?.Invoke();
        return (await GetSubmissionAsync(instructor, id, cancellationToken), null);
    }

    /// <summary>A student asks for a regrade of their own released submission; one open request at a time.</summary>
    public async Task<(SubmissionState? Submission, string? Error)> RequestRegradeAsync(Viewer student, Guid id, string message, CancellationToken cancellationToken = default)
    {
        var current = await GetSubmissionAsync(student, id, cancellationToken);
        if (current is null || student.IsInstructor)
            return (null, null);
        if (!current.Released)
            return (null, "The grades of this assignment are not released yet; a regrade can be asked for once they are.");
        if (string.IsNullOrWhiteSpace(message) || message.Length > MaxMessage)
            return (null, $"message: say what should be looked at again (1 to {MaxMessage} characters).");
        if (current.Regrades.Any(r => r.Answer is null))
            return (null, "This submission already has a regrade request waiting for an answer.");
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.Regrades.Add(new RegradeEntity { Id = Guid.NewGuid(), SubmissionId = id, StudentId = student.UserId!, Message = message.Trim(), AskedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync(cancellationToken);
        }
        Changed?.Invoke();
        return (await GetSubmissionAsync(student, id, cancellationToken), null);
    }

    /// <summary>The instructor answers a regrade request, and may change the grade with it (the answer is the reason).</summary>
    public async Task<(SubmissionState? Submission, string? Error)> AnswerRegradeAsync(
        Viewer instructor, Guid submissionId, Guid regradeId, string answer, double? points, CancellationToken cancellationToken = default)
    {
        if (!instructor.IsInstructor)
            return (null, InstructorOnly);
        var current = await GetSubmissionAsync(instructor, submissionId, cancellationToken);
        if (current?.Regrades.FirstOrDefault(r => r.Id == regradeId) is not { } regrade)
            return (null, null);
        if (regrade.Answer is not null)
            return (null, "This regrade request is already answered; the student may ask again.");
        if (string.IsNullOrWhiteSpace(answer) || answer.Length > MaxMessage)
            return (null, $"answer: write the answer to the student (1 to {MaxMessage} characters).");
        if (points is { } p)
        {
            var (_, error) = await SetPointsAsync(instructor, submissionId, p, $"Regrade: {answer.Trim()}", cancellationToken);
            if (error is not null)
                return (null, error);
        }
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var stored = await db.Regrades.SingleAsync(r => r.Id == regradeId, cancellationToken);
            (stored.Answer, stored.AnsweredUtc) = (answer.Trim(), DateTime.UtcNow);
            await db.SaveChangesAsync(cancellationToken);
        }
        Changed?.Invoke();
        return (await GetSubmissionAsync(instructor, submissionId, cancellationToken), null);
    }

    /// <summary>The regrade requests waiting for an answer, oldest first, across every assignment.</summary>
    public async Task<IReadOnlyList<SubmissionState>> OpenRegradesAsync(Viewer instructor, CancellationToken cancellationToken = default)
    {
        if (!instructor.IsInstructor)
            return [];
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var open = await db.Regrades.AsNoTracking().Where(r => r.Answer == null).Select(r => r.SubmissionId).Distinct().ToListAsync(cancellationToken);
        var submissions = await db.Submissions.AsNoTracking().Where(s => open.Contains(s.Id)).ToListAsync(cancellationToken);
        return [.. (await StatesAsync(db, instructor, submissions, cancellationToken)).OrderBy(s => s.Regrades.Min(r => r.AskedUtc))];
    }

    /// <summary>
    /// The gradebook in the shape learning-management systems import: one row per student, one column per part (the
    /// points of the student's latest submission to it), then the total. Cells go through the one CSV writer.
    /// </summary>
    public async Task<string?> GradebookCsvAsync(Guid assignmentId, CancellationToken cancellationToken = default)
    {
        var assignment = await GetAsync(assignmentId, cancellationToken);
        if (assignment is null)
            return null;
        var all = await SubmissionsAsync(Viewer.Single, assignmentId, cancellationToken);
        var csv = new StringBuilder();
        string[] header = ["student", .. assignment.Parts.Select(p => $"{assignment.Title}: {p.Name} ({p.Points:0.##} points)"), "total", "late"];
        csv.AppendJoin(',', header.Select(ReviewService.CsvCell)).Append('\n');
        foreach (var student in all.GroupBy(s => s.Student).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase))
        {
            var latest = assignment.Parts.Select(p => student.Where(s => s.Part.Id == p.Id).MaxBy(s => s.SubmittedUtc)).ToList();
            string Number(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";
            string[] cells =
            [
                student.Key, .. latest.Select(s => Number(s?.Points)),
                Number(latest.Sum(s => s?.Points ?? 0)), latest.Any(s => s?.Late == true) ? "late" : "",
            ];
            csv.AppendJoin(',', cells.Select(ReviewService.CsvCell)).Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>
    /// Pairs of one part's submissions by different students whose weights are identical (same hash) or whose
    /// similarity reaches <see cref="AssignmentOptions.SimilarityThreshold"/>: the cosine of the weights' sketches.
    /// Each student's latest submission to the part stands for them.
    /// </summary>
    public async Task<IReadOnlyList<DuplicatePair>> DuplicatesAsync(Guid assignmentId, CancellationToken cancellationToken = default)
    {
        var assignment = await GetAsync(assignmentId, cancellationToken);
        if (assignment is null)
            return [];
        List<SubmissionEntity> submissions;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            submissions = await db.Submissions.AsNoTracking().Where(s => s.AssignmentId == assignmentId).ToListAsync(cancellationToken);
        var pairs = new List<DuplicatePair>();
        foreach (var part in assignment.Parts)
        {
            var latest = submissions.Where(s => s.PartId == part.Id).GroupBy(s => s.StudentId).Select(g => g.MaxBy(s => s.SubmittedUtc)!)
                .OrderBy(s => s.SubmittedUtc).ToList(); // each pair names the earlier submission first
            var sketches = latest.Select(s => (Submission: s, Sketch: WeightsFingerprint.ReadSketch(Path.Combine(reviews.Folder(s.ReviewId), SketchFile))))
                .Where(s => s.Sketch is not null).ToList();
            foreach (var group in sketches.GroupBy(s => (s.Sketch!.Value.Count, s.Sketch.Value.Sketch.Length)))
            {
                var members = group.ToList();
                var similarity = await Task.Run(() => Similarities.Cosine([.. members.Select(m => m.Sketch!.Value.Sketch)]), cancellationToken);
                for (var i = 0; i < members.Count; i++)
                    for (var j = i + 1; j < members.Count; j++)
                    {
                        var (a, b) = (members[i].Submission, members[j].Submission);
                        var identical = a.WeightsHash == b.WeightsHash;
                        if (identical || similarity[i, j] >= options.Value.SimilarityThreshold)
                            pairs.Add(new DuplicatePair(part.Name, a.Id, a.StudentName, b.Id, b.StudentName, identical ? 1 : similarity[i, j], identical, TrainedAlike(a, b)));
                    }
            }
        }
        return [.. pairs.OrderByDescending(p => p.Similarity)];
    }

    /// <summary>Whether both submissions are runs here, their records verified, trained with the same options.</summary>
    private bool TrainedAlike(SubmissionEntity a, SubmissionEntity b)
    {
        if (a.ProvenanceJson is null || b.ProvenanceJson is null
            || !Verifies(a.ProvenanceJson, a.ProvenanceSignature ?? "") || !Verifies(b.ProvenanceJson, b.ProvenanceSignature ?? ""))
            return false;
        return JsonColumn.Read<Provenance>(a.ProvenanceJson).Options == JsonColumn.Read<Provenance>(b.ProvenanceJson).Options;
    }
}

/// <summary>Cosine similarities between vectors, all pairs at once.</summary>
public static class Similarities
{
    /// <summary>The matrix of cosines between <paramref name="vectors"/> (all of one length); a zero vector is similar to none.</summary>
    public static double[,] Cosine(IReadOnlyList<float[]> vectors)
    {
        var result = new double[vectors.Count, vectors.Count];
        if (vectors.Count == 0)
            return result;
        using var scope = NewDisposeScope();
        var matrix = stack(vectors.Select(v => tensor(v)).ToArray()).to(float64);
        var unit = matrix / matrix.norm(1, keepdim: true).clamp_min(1e-12);
        var cosines = unit.matmul(unit.t()).data<double>().ToArray();
        for (var i = 0; i < vectors.Count; i++)
            for (var j = 0; j < vectors.Count; j++)
                result[i, j] = cosines[(i * vectors.Count) + j];
        return result;
    }
}
