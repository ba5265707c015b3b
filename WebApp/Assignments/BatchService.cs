using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Compute.Checkpoints;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;

namespace WebGen.WebApp.Assignments;

/// <summary>
/// An instructor's batch upload: a zip of the class's checkpoints is extracted safely (<see cref="BatchZip"/>) into the
/// batch's folder, its entries mapped to students by a name pattern (<see cref="BatchPattern"/>) for the instructor to
/// check and confirm; then <see cref="BatchWorker"/> submits each matched file for its student through
/// <see cref="AssignmentService.SubmitFileAsync"/>, the path and loader of a single upload, and the reviews evaluate
/// them. A batch is kept as a JSON record in its folder, so a restart carries on where it stopped.
/// </summary>
public sealed class BatchService(
    IDbContextFactory<WebGenDb> dbFactory,
    AssignmentService assignments,
    ReviewService reviews,
    IServiceScopeFactory scopes,
    IOptions<WebGenOptions> webGen,
    IOptions<AssignmentOptions> options,
    ILogger<BatchService> logger)
{
    private const string RecordFile = "batch.json";
    private const string UploadFile = "upload.zip";

    private readonly Channel<Guid> confirmed = Channel.CreateUnbounded<Guid>();
    private readonly SemaphoreSlim records = new(1, 1);

    internal ChannelReader<Guid> Confirmed => confirmed.Reader;

    /// <summary>Raised after a batch changes (created, re-matched, confirmed, an entry submitted), with its id.</summary>
    public event Action<Guid>? Changed;

    public long MaxBatchBytes => options.Value.MaxBatchBytes;

    private string Root => Path.Combine(webGen.Value.RunsFolder, "batches");

    private string Folder(Guid id) => Path.Combine(Root, id.ToString("N"));

    /// <summary>
    /// Stores the zip (refused over <see cref="AssignmentOptions.MaxBatchBytes"/>), extracts its files and maps them with
    /// <paramref name="pattern"/> (the default when null) to students and to <paramref name="partId"/>; the preview, or what is wrong.
    /// </summary>
    public async Task<(BatchState? Batch, string? Error)> CreateAsync(
        Viewer instructor, Guid assignmentId, string fileName, Stream zip, string? pattern, Guid? partId, CancellationToken cancellationToken = default)
    {
        if (!instructor.IsInstructor)
            return (null, AssignmentService.InstructorOnly);
        var assignment = await assignments.GetAsync(assignmentId, cancellationToken);
        if (assignment is null)
            return (null, $"There is no assignment {assignmentId}.");
        var (regex, patternError) = BatchPattern.Parse(pattern ?? BatchPattern.Default);
        if (regex is null)
            return (null, patternError);
        if (partId is { } chosen && !assignment.Parts.Any(p => p.Id == chosen))
            return (null, PartError(assignment, chosen));

        var id = Guid.NewGuid();
        var folder = Folder(id);
        Directory.CreateDirectory(folder);
        var zipPath = Path.Combine(folder, UploadFile);
        try
        {
            await using (var target = File.Create(zipPath))
                if (!await CopyWithinAsync(zip, target, MaxBatchBytes, cancellationToken))
                    return (null, TooLarge);
            var (entries, error) = await Task.Run(() => BatchZip.Extract(zipPath, folder, reviews.MaxUploadBytes, options.Value, cancellationToken), cancellationToken);
            if (error is not null)
                return (null, $"{Security.JsonBody.Cut(fileName, 100)}: {error}");
            var record = new BatchRecord(id, assignmentId, Path.GetFileName(fileName), pattern ?? BatchPattern.Default, partId, DateTime.UtcNow, null,
                [.. entries.Select(e => new BatchEntryState(e.Index, e.Name, e.Bytes, null, null, null, null, e.Problem, null, null))]);
            record = Matched(record, regex, assignment, await StudentsAsync());
            await SaveAsync(record, cancellationToken);
            await RemoveStalePreviewsAsync(cancellationToken);
            logger.LogInformation("Batch {Id} of assignment {Assignment}: {Files} files, {Matched} matched", id, assignmentId, record.Entries.Count, record.Entries.Count(e => e.IsMatched));
            Changed?.Invoke(id);
            return (await StateAsync(record, cancellationToken), null);
        }
        finally
        {
            File.Delete(zipPath);
            if (!File.Exists(Path.Combine(folder, RecordFile)))
                Directory.Delete(folder, recursive: true);
        }
    }

    public string TooLarge =>
        $"The zip is larger than the limit of {ByteSize.Describe(MaxBatchBytes)} (WebGen:Assignments:MaxBatchBytes); split the class into several batches.";

    /// <summary>A batch of the assignment as the instructor sees it; null for a student, an unknown id or another assignment's batch.</summary>
    public async Task<BatchState?> GetAsync(Viewer instructor, Guid assignmentId, Guid id, CancellationToken cancellationToken = default) =>
        instructor.IsInstructor && await ReadAsync(id, cancellationToken) is { } record && record.AssignmentId == assignmentId
            ? await StateAsync(record, cancellationToken)
            : null;

    /// <summary>Maps the entries again with another pattern or part, until the batch is confirmed.</summary>
    public async Task<(BatchState? Batch, string? Error)> RematchAsync(
        Viewer instructor, Guid assignmentId, Guid id, string pattern, Guid? partId, CancellationToken cancellationToken = default)
    {
        if (!instructor.IsInstructor)
            return (null, AssignmentService.InstructorOnly);
        var (regex, patternError) = BatchPattern.Parse(pattern);
        await records.WaitAsync(cancellationToken);
        try
        {
            if (await ReadAsync(id, cancellationToken) is not { } record || record.AssignmentId != assignmentId
                || await assignments.GetAsync(assignmentId, cancellationToken) is not { } assignment)
                return (null, null);
            if (record.ConfirmedUtc is not null)
                return (null, "This batch is confirmed already; its files are being submitted as they were matched.");
            if (regex is null)
                return (null, patternError);
            if (partId is { } chosen && !assignment.Parts.Any(p => p.Id == chosen))
                return (null, PartError(assignment, chosen));
            record = Matched(record with { Pattern = pattern, PartId = partId }, regex, assignment, await StudentsAsync());
            await WriteAsync(record, cancellationToken);
        }
        finally
        {
            records.Release();
        }
        Changed?.Invoke(id);
        return (await GetAsync(instructor, assignmentId, id, cancellationToken), null);
    }

    /// <summary>Confirms the preview: the matched files are queued to be submitted for their students; the rest stay listed with their reasons.</summary>
    public async Task<(BatchState? Batch, string? Error)> ConfirmAsync(Viewer instructor, Guid assignmentId, Guid id, CancellationToken cancellationToken = default)
    {
        if (!instructor.IsInstructor)
            return (null, AssignmentService.InstructorOnly);
        await records.WaitAsync(cancellationToken);
        try
        {
            if (await ReadAsync(id, cancellationToken) is not { } record || record.AssignmentId != assignmentId)
                return (null, null);
            if (record.ConfirmedUtc is not null)
                return (null, "This batch is confirmed already.");
            if (!record.Entries.Any(e => e.IsMatched))
                return (null, "No file of this batch is matched to a student and a part; change the pattern or the part first.");
            await WriteAsync(record with { ConfirmedUtc = DateTime.UtcNow }, cancellationToken);
        }
        finally
        {
            records.Release();
        }
        logger.LogInformation("Batch {Id} confirmed", id);
        confirmed.Writer.TryWrite(id);
        Changed?.Invoke(id);
        return (await GetAsync(instructor, assignmentId, id, cancellationToken), null);
    }

    /// <summary>
    /// Submits each matched, not yet submitted file of a confirmed batch for its student, as that student's upload
    /// would be; a file the loader refuses keeps its reason, and the rest go on. The extracted files are deleted after.
    /// </summary>
    internal async Task SubmitAsync(Guid id, CancellationToken cancellationToken)
    {
        var record = await ReadAsync(id, cancellationToken);
        if (record?.ConfirmedUtc is null)
            return;
        var students = (await StudentsAsync()).ToDictionary(s => s.Id);
        foreach (var entry in record.Entries.Where(e => e.IsMatched && e.SubmissionId is null))
        {
            var path = BatchZip.PathOf(Folder(id), entry.Index);
            var student = students.TryGetValue(entry.StudentId!, out var s) ? new Viewer(s.Id, s.Name, IsInstructor: false) : null;
            (SubmissionState? Submission, string? Error) result;
            if (student is null)
                result = (null, "the student's account no longer exists.");
            else if (!File.Exists(path))
                result = (null, "the extracted file is gone; upload the batch again.");
            else
            {
                try
                {
                    await using var content = File.OpenRead(path);
                    result = await assignments.SubmitFileAsync(student, record.AssignmentId, entry.PartId!.Value, Path.GetFileName(entry.Name), content, cancellationToken);
                }
                catch (InvalidCheckpointException e)
                {
                    result = (null, e.Message);
                }
            }
            await UpdateEntryAsync(id, entry.Index, e => e with { SubmissionId = result.Submission?.Id, Problem = result.Error }, cancellationToken);
            File.Delete(path);
        }
        var entries = Path.Combine(Folder(id), BatchZip.EntriesFolder);
        if (Directory.Exists(entries))
            Directory.Delete(entries, recursive: true);
        logger.LogInformation("Batch {Id}: every matched file submitted or refused", id);
    }

    /// <summary>
    /// Keeps at most <see cref="AssignmentOptions.MaxUnconfirmedBatches"/> unconfirmed previews, across every
    /// assignment, once a new one is stored: the oldest go first, with their extracted files. Under the records' lock,
    /// so a preview being confirmed is either confirmed first (and kept) or removed first (and then not found).
    /// </summary>
    private async Task RemoveStalePreviewsAsync(CancellationToken cancellationToken)
    {
        await records.WaitAsync(cancellationToken);
        try
        {
            var previews = await RecordsAsync(cancellationToken).Where(r => r.ConfirmedUtc is null).ToListAsync(cancellationToken);
            foreach (var stale in previews.OrderByDescending(r => r.CreatedUtc).Skip(Math.Max(1, options.Value.MaxUnconfirmedBatches)))
            {
                Directory.Delete(Folder(stale.Id), recursive: true);
                logger.LogInformation("Batch {Id}: an unconfirmed preview removed to make room for a new upload", stale.Id);
                Changed?.Invoke(stale.Id);
            }
        }
        finally
        {
            records.Release();
        }
    }

    /// <summary>After a restart, confirmed batches with files still to submit carry on.</summary>
    internal async Task RequeueAfterRestartAsync(CancellationToken cancellationToken)
    {
        await foreach (var record in RecordsAsync(cancellationToken))
            if (record.ConfirmedUtc is not null && record.Entries.Any(e => e.IsMatched && e.SubmissionId is null))
                confirmed.Writer.TryWrite(record.Id);
    }

    /// <summary>Every stored batch's record, whichever assignment it belongs to.</summary>
    private async IAsyncEnumerable<BatchRecord> RecordsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Root))
            yield break;
        foreach (var folder in Directory.EnumerateDirectories(Root))
            if (Guid.TryParseExact(Path.GetFileName(folder), "N", out var id) && await ReadAsync(id, cancellationToken) is { } record)
                yield return record;
    }

    private async Task UpdateEntryAsync(Guid id, int index, Func<BatchEntryState, BatchEntryState> change, CancellationToken cancellationToken)
    {
        await records.WaitAsync(cancellationToken);
        try
        {
            var record = (await ReadAsync(id, cancellationToken))!;
            await WriteAsync(record with { Entries = [.. record.Entries.Select(e => e.Index == index ? change(e) : e)] }, cancellationToken);
        }
        finally
        {
            records.Release();
        }
        Changed?.Invoke(id);
    }

    /// <summary>Every extracted entry mapped anew: a problem from the zip (an unsafe name, too large) stays; the match is redone.</summary>
    private static BatchRecord Matched(BatchRecord record, System.Text.RegularExpressions.Regex regex, AssignmentState assignment, IReadOnlyList<ClassStudent> students)
    {
        var batchPart = assignment.Parts.FirstOrDefault(p => p.Id == record.PartId) ?? (assignment.Parts.Count == 1 ? assignment.Parts[0] : null);
        return record with
        {
            Entries = [.. record.Entries.Select(e =>
            {
                if (e.Problem is not null && !e.Problem.StartsWith("unmatched", StringComparison.Ordinal))
                    return e;
                var (student, part, problem) = BatchPattern.Match(regex, e.Name, students, assignment.Parts, batchPart);
                return e with { StudentId = student?.Id, Student = student?.Name, PartId = part?.Id, Part = part?.Name, Problem = problem };
            })],
        };
    }

    private static string PartError(AssignmentState assignment, Guid part) =>
        $"part {part}: assignment {assignment.Title} asks for {string.Join(", ", assignment.Parts.Select(p => $"{p.Name} ({p.Id})"))}.";

    /// <summary>The class's students: the accounts with the student role.</summary>
    private async Task<IReadOnlyList<ClassStudent>> StudentsAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetService<UserManager<IdentityUser>>();
        if (users is null)
            return []; // single mode: no accounts
        return [.. (await users.GetUsersInRoleAsync(Roles.Student)).Select(u => new ClassStudent(u.Id, u.UserName ?? u.Email ?? u.Id))];
    }

    private async Task<BatchState> StateAsync(BatchRecord record, CancellationToken cancellationToken)
    {
        var ids = record.Entries.Where(e => e.SubmissionId is not null).Select(e => e.SubmissionId!.Value).ToList();
        Dictionary<Guid, ReviewStatus> statuses;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            statuses = await db.Submissions.AsNoTracking().Where(s => ids.Contains(s.Id))
                .Join(db.Reviews, s => s.ReviewId, r => r.Id, (s, r) => new { s.Id, r.Status })
                .ToDictionaryAsync(s => s.Id, s => s.Status, cancellationToken);
        var entries = record.Entries.Select(e => e with { Status = e.SubmissionId is { } s && statuses.TryGetValue(s, out var status) ? status : null }).ToList();
        var progress = new BatchProgress(
            entries.Count,
            entries.Count(e => e.Problem is not null),
            entries.Count(e => e.IsMatched && e.Status is not (ReviewStatus.Done or ReviewStatus.Failed)),
            entries.Count(e => e.Status == ReviewStatus.Done),
            entries.Count(e => e.Status == ReviewStatus.Failed));
        return new BatchState(record.Id, record.AssignmentId, record.FileName, record.Pattern, record.PartId, record.CreatedUtc, record.ConfirmedUtc, entries, progress);
    }

    private async Task SaveAsync(BatchRecord record, CancellationToken cancellationToken)
    {
        await records.WaitAsync(cancellationToken);
        try
        {
            await WriteAsync(record, cancellationToken);
        }
        finally
        {
            records.Release();
        }
    }

    private async Task WriteAsync(BatchRecord record, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Folder(record.Id), RecordFile);
        await File.WriteAllTextAsync(path + ".tmp", JsonSerializer.Serialize(record, WebGenJson.Options), cancellationToken);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private async Task<BatchRecord?> ReadAsync(Guid id, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Folder(id), RecordFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<BatchRecord>(await File.ReadAllTextAsync(path, cancellationToken), WebGenJson.Options) : null;
    }

    /// <summary>Copies at most <paramref name="limit"/> bytes; false when the source holds more.</summary>
    private static async Task<bool> CopyWithinAsync(Stream source, Stream target, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
                return false;
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return true;
    }

    /// <summary>A batch as stored in its folder: the preview's mapping and, per entry, its submission once made.</summary>
    private sealed record BatchRecord(
        Guid Id, Guid AssignmentId, string FileName, string Pattern, Guid? PartId, DateTime CreatedUtc, DateTime? ConfirmedUtc, IReadOnlyList<BatchEntryState> Entries);
}
