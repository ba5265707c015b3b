using System.Globalization;
using System.Text;
using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Evaluation;
using WebGen.Shared;
using WebGen.WebApp.Cluster;
using WebGen.WebApp.Data;
using static TorchSharp.torch;

namespace WebGen.WebApp.Reviews;

/// <summary>What an instructor submits for review, before the file is read.</summary>
public sealed record ReviewRequest(string Student, ModelKind Model, double? SsvaeGenWeight, string FileName);

/// <summary>
/// Submission reviews: an uploaded checkpoint is read and checked at once (a clear error otherwise), stored with its
/// file under the runs folder every process shares, then evaluated as a job of the job system by a worker
/// (<see cref="ReviewJob"/>). Comments and the gradebook CSV come from here too.
/// </summary>
public sealed class ReviewService(
    IDbContextFactory<WebGenDb> dbFactory, IUpdateBus updates, IBackgroundJobClient jobs, IOptions<WebGenOptions> options, ILogger<ReviewService> logger)
{
    public const string CheckpointFile = "checkpoint.pt";
    public const string GridFile = "samples.png";
    public const int MaxComment = 4000;
    public const int MaxStudent = 200;

    /// <summary>Raised after every stored change of a review by this process or any other, so open pages redraw.</summary>
    public event Action<ReviewState>? Changed
    {
        add => updates.ReviewReceived += value;
        remove => updates.ReviewReceived -= value;
    }

    public long MaxUploadBytes => options.Value.MaxUploadBytes;

    public string Folder(Guid id) => Path.Combine(options.Value.RunsFolder, "reviews", id.ToString("N"));

    /// <summary>
    /// Reads the upload (refused over <see cref="WebGenOptions.MaxUploadBytes"/>), builds the model from it to check
    /// every name and shape, stores it and queues its evaluation; or returns what is wrong.
    /// </summary>
    /// <exception cref="CheckpointTooLargeException">The file is over the limit (the API answers 413).</exception>
    public async Task<(ReviewState? Review, string? Error)> CreateAsync(ReviewRequest request, Stream content, CancellationToken cancellationToken = default)
    {
        if (Validate(request) is { } problem)
            return (null, problem);
        var file = await StateDict.ReadAllBytesAsync(content, MaxUploadBytes, request.FileName, cancellationToken);
        TrainingOptions settings;
        CheckpointFormat format;
        try
        {
            // Reading and checking takes a fraction of a second; off the request's (or circuit's) thread all the same.
            (settings, format) = await Task.Run(() =>
            {
                using var loaded = ModelCheckpoint.Load(file, request.Model, CPU, request.FileName);
                return (loaded.Options, loaded.Format);
            }, cancellationToken);
        }
        catch (InvalidCheckpointException e)
        {
            return (null, e.Message);
        }

        var entity = new ReviewEntity
        {
            Id = Guid.NewGuid(),
            Student = request.Student.Trim(),
            Model = request.Model,
            SsvaeGenWeight = request.Model == ModelKind.Ssvae ? request.SsvaeGenWeight : null,
            FileName = request.FileName,
            FileBytes = file.Length,
            Format = FormatName(format),
            ZDim = settings.ZDim,
            K = request.Model == ModelKind.Gmvae ? settings.K : null,
            Status = ReviewStatus.Queued,
            CreatedUtc = DateTime.UtcNow,
        };
        var folder = Folder(entity.Id);
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, CheckpointFile), file, cancellationToken);
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.Reviews.Add(entity);
            await db.SaveChangesAsync(cancellationToken);
        }
        logger.LogInformation("Review {Id}: {Student}'s {Model} checkpoint {File} ({Format}) queued", entity.Id, entity.Student, entity.Model, entity.FileName, entity.Format);
        var state = entity.ToState();
        Enqueue(state.Id);
        await updates.PublishAsync(state, cancellationToken);
        return (state, null);
    }

    /// <summary>The request's fields against their accepted values; null when all are fine.</summary>
    public static string? Validate(ReviewRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Student) || request.Student.Trim().Length > MaxStudent)
            return $"student: give the student's name (1 to {MaxStudent} characters).";
        if (!ModelCheckpoint.Kinds.Contains(request.Model))
            return $"model {ModelNames.Of(request.Model)}: accepted values are {string.Join(", ", ModelCheckpoint.Kinds.Select(ModelNames.Of))}.";
        if (request.Model == ModelKind.Ssvae && request.SsvaeGenWeight is not (0 or 1))
            return $"gw: say which SSVAE variant is graded: 0 (band {Grading.For(ModelKind.Ssvae, 0)}) or 1 (band {Grading.For(ModelKind.Ssvae, 1)}).";
        return null;
    }

    public static string FormatName(CheckpointFormat format) => format switch
    {
        CheckpointFormat.PyTorchZip => "PyTorch (zip)",
        CheckpointFormat.PyTorchLegacy => "PyTorch (legacy)",
        _ => "WebGen",
    };

    public async Task<ReviewState?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await db.Reviews.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken))?.ToState();
    }

    /// <summary>Every review, newest first.</summary>
    public async Task<IReadOnlyList<ReviewState>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var reviews = await db.Reviews.AsNoTracking().ToListAsync(cancellationToken);
        return [.. reviews.OrderByDescending(r => r.CreatedUtc).Select(r => r.ToState())];
    }

    /// <summary>Stores the instructor's comment; the error names the limit when it is too long.</summary>
    public async Task<(ReviewState? Review, string? Error)> SaveCommentAsync(Guid id, string comment, CancellationToken cancellationToken = default)
    {
        if (comment.Length > MaxComment)
            return (null, $"comment: {comment.Length} characters; accepted are at most {MaxComment}.");
        return (await UpdateAsync(id, r => r.Comment = comment, cancellationToken), null);
    }

    /// <summary>The review's sample grid, once evaluated.</summary>
    public string GridPath(Guid id) => Path.Combine(Folder(id), GridFile);

    internal async Task<ReviewState?> UpdateAsync(Guid id, Action<ReviewEntity> change, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var entity = await db.Reviews.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (entity is null)
            return null;
        change(entity);
        await db.SaveChangesAsync(cancellationToken);
        var state = entity.ToState();
        await updates.PublishAsync(state, CancellationToken.None); // stored: the pages hear of it even if the caller gave up
        return state;
    }

    private void Enqueue(Guid id) =>
        jobs.Create<ReviewJob>(job => job.ExecuteAsync(id, CancellationToken.None), new EnqueuedState(ReviewJob.Queue));

    /// <summary>
    /// Reviews waiting or being evaluated go to the job system again: called when this process starts on a job storage
    /// kept in its memory (the single-process default), which lost the jobs its last run had queued. A job storage in
    /// the database keeps them (and hands a dead worker's job to another after the lease), so nothing is requeued there.
    /// </summary>
    internal async Task RequeueLostJobsAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var pending = await db.Reviews.Where(r => r.Status == ReviewStatus.Queued || r.Status == ReviewStatus.Evaluating).ToListAsync(cancellationToken);
        foreach (var review in pending)
            review.Status = ReviewStatus.Queued;
        await db.SaveChangesAsync(cancellationToken);
        foreach (var review in pending.OrderBy(r => r.CreatedUtc))
            Enqueue(review.Id);
    }

    /// <summary>All reviews for a gradebook, oldest first: one row each with the graded value, the band and pass/fail.</summary>
    public async Task<string> CsvAsync(CancellationToken cancellationToken = default)
    {
        var csv = new StringBuilder(
            "student,model,ssvae_gw,file,format,z_dim,k,status,graded_metric,value,band,pass,nelbo,kl,rec,iwae_1,iwae_10,iwae_100,iwae_1000,accuracy,comment,error,submitted_utc,evaluated_utc\n");
        foreach (var r in (await ListAsync(cancellationToken)).Reverse())
        {
            var bound = r.Metrics?.LowerBound;
            string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";
            string Iwae(int m) => Number(bound?.Iwae.TryGetValue(m, out var v) == true ? v : null);
            string[] cells =
            [
                r.Student, ModelNames.Of(r.Model), Number(r.SsvaeGenWeight), r.FileName, r.Format,
                r.ZDim.ToString(CultureInfo.InvariantCulture), r.K?.ToString(CultureInfo.InvariantCulture) ?? "",
                r.Status.ToString().ToLowerInvariant(), r.Band.Metric, Number(r.Grade?.Value), r.Band.ToString(),
                r.Grade is { } grade ? (grade.Pass ? "pass" : "fail") : "",
                Number(bound?.Nelbo), Number(bound?.Kl), Number(bound?.Rec), Iwae(1), Iwae(10), Iwae(100), Iwae(1000),
                Number(r.Metrics?.Accuracy), r.Comment, r.Error ?? "",
                r.CreatedUtc.ToString("O", CultureInfo.InvariantCulture), r.FinishedUtc?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            ];
            csv.AppendJoin(',', cells.Select(CsvCell)).Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>
    /// One CSV field: quoted when it holds a comma, quote or line break; text that a spreadsheet would run as a
    /// formula (=, +, -, @ first) is prefixed with an apostrophe, since names and comments are typed by people.
    /// </summary>
    public static string CsvCell(string value)
    {
        if (value.Length > 0 && "=+-@\t\r".Contains(value[0]) && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
