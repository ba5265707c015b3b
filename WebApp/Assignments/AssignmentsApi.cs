using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Antiforgery;
using WebGen.Compute.Checkpoints;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Security;

namespace WebGen.WebApp.Assignments;

/// <summary>
/// The assignments API: instructors set assignments, release grades, change grades, answer regrade requests and
/// export the gradebook and duplicate pairs; students submit (a file or one of their runs), read their own
/// submissions and ask for regrades. Every endpoint needs a class member; instructor-only ones answer 403 to a student,
/// and a submission that is not the asker's answers 404 like one that does not exist.
/// </summary>
public static class AssignmentsApi
{
    /// <summary>Bodies are read strictly: an unknown field or a missing one is named, not ignored.</summary>
    private static readonly JsonSerializerOptions Strict = new(WebGenJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static WebApplicationBuilder AddAssignments(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AssignmentOptions>().Bind(builder.Configuration.GetSection(AssignmentOptions.Section));
        builder.Services.AddSingleton<AssignmentService>();
        builder.Services.AddSingleton<BatchService>();
        builder.Services.AddHostedService<BatchWorker>();
        return builder;
    }

    public static IEndpointRouteBuilder MapAssignmentsApi(this IEndpointRouteBuilder app)
    {
        var assignments = app.MapGroup("/api/assignments").RequireAuthorization(ClassPolicies.Member);
        assignments.MapGet("/", async (AssignmentService service, CancellationToken cancellationToken) => await service.ListAsync(cancellationToken));
        assignments.MapPost("/", async (HttpRequest request, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
        {
            if (!access.ViewerOf(user).IsInstructor)
                return InstructorOnly;
            var (body, problem) = await ReadAsync<AssignmentRequest>(request, AssignmentExample, cancellationToken);
            if (body is null)
                return problem!;
            var (created, errors) = await service.CreateAsync(body, cancellationToken);
            return created is null ? Results.Problem(string.Join(" ", errors), statusCode: 400) : Results.Created($"/api/assignments/{created.Id}", created);
        });
        assignments.MapGet("/{id:guid}", async (Guid id, AssignmentService service, CancellationToken cancellationToken) =>
            await service.GetAsync(id, cancellationToken) is { } assignment ? Results.Ok(assignment) : NoAssignment(id));
        assignments.MapPost("/{id:guid}/release", async (Guid id, HttpRequest request, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
        {
            if (!access.ViewerOf(user).IsInstructor)
                return InstructorOnly;
            var (body, problem) = await ReadAsync<ReleaseBody>(request, ReleaseExample, cancellationToken);
            if (body is null)
                return problem!;
            return await service.ReleaseAsync(id, body.Released, cancellationToken) is { } assignment ? Results.Ok(assignment) : NoAssignment(id);
        });
        assignments.MapGet("/{id:guid}/submissions", async (Guid id, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
            await service.GetAsync(id, cancellationToken) is null ? NoAssignment(id) : Results.Ok(await service.SubmissionsAsync(access.ViewerOf(user), id, cancellationToken)));
        // multipart/form-data (part, file) for an upload; JSON {"part": …, "run": …} for one of the student's runs.
        assignments.MapPost("/{id:guid}/submissions", SubmitAsync).DisableAntiforgery();
        assignments.MapGet("/{id:guid}/gradebook.csv", async (Guid id, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
        {
            if (!access.ViewerOf(user).IsInstructor)
                return InstructorOnly;
            return await service.GradebookCsvAsync(id, cancellationToken) is { } csv
                ? Results.File(Encoding.UTF8.GetBytes(csv), "text/csv", $"gradebook-{id:N}.csv")
                : NoAssignment(id);
        });
        assignments.MapGet("/{id:guid}/duplicates", async (Guid id, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
        {
            if (!access.ViewerOf(user).IsInstructor)
                return InstructorOnly;
            return await service.GetAsync(id, cancellationToken) is null ? NoAssignment(id) : Results.Ok(await service.DuplicatesAsync(id, cancellationToken));
        });
        // An instructor's zip of the class's checkpoints: previewed, matched again with another pattern, confirmed.
        assignments.MapPost("/{id:guid}/batches", CreateBatchAsync).DisableAntiforgery();
        assignments.MapGet("/{id:guid}/batches/{batch:guid}", async (Guid id, Guid batch, ClaimsPrincipal user, ClassAccess access, BatchService batches, CancellationToken cancellationToken) =>
            access.ViewerOf(user) is not { IsInstructor: true } viewer ? InstructorOnly
            : await batches.GetAsync(viewer, id, batch, cancellationToken) is { } found ? Results.Ok(found) : NoBatch(id, batch));
        assignments.MapPut("/{id:guid}/batches/{batch:guid}/pattern", async (Guid id, Guid batch, HttpRequest request, ClaimsPrincipal user, ClassAccess access, BatchService batches, CancellationToken cancellationToken) =>
        {
            if (access.ViewerOf(user) is not { IsInstructor: true } viewer)
                return InstructorOnly;
            var (body, problem) = await ReadAsync<PatternBody>(request, PatternExample, cancellationToken);
            if (body is null)
                return problem!;
            var (changed, error) = await batches.RematchAsync(viewer, id, batch, body.Pattern, body.Part, cancellationToken);
            return error is not null ? Results.Problem(error, statusCode: 400) : changed is null ? NoBatch(id, batch) : Results.Ok(changed);
        });
        assignments.MapPost("/{id:guid}/batches/{batch:guid}/confirm", async (Guid id, Guid batch, ClaimsPrincipal user, ClassAccess access, BatchService batches, CancellationToken cancellationToken) =>
        {
            if (access.ViewerOf(user) is not { IsInstructor: true } viewer)
                return InstructorOnly;
            var (confirmed, error) = await batches.ConfirmAsync(viewer, id, batch, cancellationToken);
            return error is not null ? Results.Problem(error, statusCode: 400)
                : confirmed is null ? NoBatch(id, batch) : Results.Accepted($"/api/assignments/{id}/batches/{batch}", confirmed);
        });

        app.MapGet("/api/regrades", async (ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
            access.ViewerOf(user) is { IsInstructor: true } instructor ? Results.Ok(await service.OpenRegradesAsync(instructor, cancellationToken)) : InstructorOnly)
            .RequireAuthorization(ClassPolicies.Member);

        var submission = app.MapGroup("/api/submissions/{id:guid}").RequireAuthorization(ClassPolicies.Member);
        submission.MapGet("/", async (Guid id, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
            await service.GetSubmissionAsync(access.ViewerOf(user), id, cancellationToken) is { } found ? Results.Ok(found) : NoSubmission(id));
        submission.MapPut("/comment", (Guid id, HttpRequest request, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
            InstructorAsync<CommentBody>(id, request, access.ViewerOf(user), CommentExample, (viewer, body) => service.CommentAsync(viewer, id, body.Comment, cancellationToken), cancellationToken));
        submission.MapPut("/points", (Guid id, HttpRequest request, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
            InstructorAsync<PointsBody>(id, request, access.ViewerOf(user), PointsExample, (viewer, body) => service.SetPointsAsync(viewer, id, body.Points, body.Reason, cancellationToken), cancellationToken));
        submission.MapPost("/regrades", async (Guid id, HttpRequest request, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
        {
            var (body, problem) = await ReadAsync<RegradeBody>(request, RegradeExample, cancellationToken);
            if (body is null)
                return problem!;
            var (changed, error) = await service.RequestRegradeAsync(access.ViewerOf(user), id, body.Message, cancellationToken);
            return Answer(id, changed, error);
        });
        submission.MapPost("/regrades/{regrade:guid}/answer", (Guid id, Guid regrade, HttpRequest request, ClaimsPrincipal user, ClassAccess access, AssignmentService service, CancellationToken cancellationToken) =>
            InstructorAsync<AnswerBody>(id, request, access.ViewerOf(user), AnswerExample, (viewer, body) => service.AnswerRegradeAsync(viewer, id, regrade, body.Answer, body.Points, cancellationToken), cancellationToken));
        return app;
    }

    private sealed record ReleaseBody(bool Released);
    private sealed record CommentBody(string Comment);
    private sealed record PointsBody(double Points, string Reason);
    private sealed record RegradeBody(string Message);
    private sealed record AnswerBody(string Answer, double? Points = null);
    private sealed record RunSubmission(Guid Part, Guid Run);
    private sealed record PatternBody(string Pattern, Guid? Part = null);

    private const string AssignmentExample =
        "The body must be a JSON object such as {\"title\": \"HW2\", \"dueUtc\": \"2026-12-01T23:59:00Z\", \"parts\": [{\"model\": \"vae\"}, {\"model\": \"ssvae\", \"ssvaeGenWeight\": 0, \"points\": 5}]}; a part's bandTarget and bandTolerance default to the course grader's.";
    private const string ReleaseExample = "The body must be a JSON object such as {\"released\": true}.";
    private const string CommentExample = "The body must be a JSON object such as {\"comment\": \"Well done.\"}.";
    private const string PointsExample = "The body must be a JSON object such as {\"points\": 8, \"reason\": \"Late by an hour.\"}.";
    private const string RegradeExample = "The body must be a JSON object such as {\"message\": \"My NELBO is inside the band on my machine.\"}.";
    private const string AnswerExample = "The body must be a JSON object such as {\"answer\": \"Checked again: you are right.\", \"points\": 10}; points is optional.";
    private const string SubmitUsage =
        "Send multipart/form-data with part (the part's id) and file (the checkpoint), or a JSON object such as {\"part\": \"<part id>\", \"run\": \"<one of your completed runs' ids>\"}.";

    private const string PatternExample =
        "The body must be a JSON object such as {\"pattern\": \"^(?<student>[^/_]+)\", \"part\": \"<part id>\"}; the pattern's group student names the student, an optional group part the part, and part is the part of entries that name none.";
    private const string BatchUsage =
        "Send multipart/form-data with file (a zip of checkpoints, one file or folder per student), and optionally pattern (a regular expression with a group (?<student>…)) and part (the id of the part of entries whose name gives none).";

    private static readonly IResult InstructorOnly =
        Results.Problem(AssignmentService.InstructorOnly, statusCode: 403);

    private static IResult NoAssignment(Guid id) => Results.Problem($"There is no assignment {id}.", statusCode: 404);

    private static IResult NoBatch(Guid id, Guid batch) => Results.Problem($"Assignment {id} has no batch {batch}.", statusCode: 404);

    private static IResult NoSubmission(Guid id) => Results.Problem($"You have no submission {id}.", statusCode: 404);

    private static IResult Answer(Guid id, SubmissionState? changed, string? error) =>
        error is not null ? Results.Problem(error, statusCode: 400) : changed is null ? NoSubmission(id) : Results.Ok(changed);

    private static async Task<IResult> InstructorAsync<TBody>(
        Guid id, HttpRequest request, Viewer viewer, string example, Func<Viewer, TBody, Task<(SubmissionState?, string?)>> change, CancellationToken cancellationToken)
        where TBody : class
    {
        if (!viewer.IsInstructor)
            return InstructorOnly;
        var (body, problem) = await ReadAsync<TBody>(request, example, cancellationToken);
        if (body is null)
            return problem!;
        var (changed, error) = await change(viewer, body);
        return Answer(id, changed, error);
    }

    /// <summary>A JSON body read within the size limit (<see cref="JsonBody"/>) into <typeparamref name="T"/>; the problem names the field at fault.</summary>
    private static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpRequest request, string example, CancellationToken cancellationToken) where T : class
    {
        var (body, problem) = await JsonBody.ReadObjectAsync(request, example, cancellationToken);
        return body is null ? (null, problem) : Parse<T>(body, example);
    }

    private static (T? Body, IResult? Problem) Parse<T>(JsonObject body, string example) where T : class
    {
        try
        {
            return body.Deserialize<T>(Strict) is { } parsed ? (parsed, null) : (null, JsonBody.BadRequest(example));
        }
        catch (JsonException e)
        {
            return (null, JsonBody.BadRequest($"{JsonBody.Cut(e.Message, 300)} {example}"));
        }
    }

    private static async Task<IResult> SubmitAsync(
        Guid id, HttpRequest request, ClaimsPrincipal user, ClassAccess access, AssignmentService service, ReviewService reviews, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        var viewer = access.ViewerOf(user);
        if (request.HasJsonContentType())
        {
            var (body, problem) = await ReadAsync<RunSubmission>(request, SubmitUsage, cancellationToken);
            if (body is null)
                return problem!;
            var (fromRun, runError) = await service.SubmitRunAsync(viewer, id, body.Part, body.Run, cancellationToken);
            return Submitted(fromRun, runError);
        }
        var (form, file, uploadProblem) = await ReviewsApi.ReadUploadAsync(request, reviews.MaxUploadBytes, antiforgery, SubmitUsage, cancellationToken);
        if (uploadProblem is not null)
            return uploadProblem;
        if (!Guid.TryParse(form!["part"].ToString(), out var part))
            return JsonBody.BadRequest($"part '{JsonBody.Cut(form["part"].ToString())}': give the id of one of the assignment's parts. {SubmitUsage}");
        try
        {
            await using var content = file!.OpenReadStream();
            var (uploaded, error) = await service.SubmitFileAsync(viewer, id, part, file.FileName, content, cancellationToken);
            return Submitted(uploaded, error);
        }
        catch (CheckpointTooLargeException)
        {
            return ReviewsApi.TooLarge(reviews.MaxUploadBytes);
        }
    }

    private static IResult Submitted(SubmissionState? submission, string? error) =>
        submission is null ? Results.Problem(error, statusCode: 400) : Results.Accepted($"/api/submissions/{submission.Id}", submission);

    private static async Task<IResult> CreateBatchAsync(
        Guid id, HttpRequest request, ClaimsPrincipal user, ClassAccess access, AssignmentService service, BatchService batches, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        if (access.ViewerOf(user) is not { IsInstructor: true } viewer)
            return InstructorOnly;
        if (await service.GetAsync(id, cancellationToken) is null)
            return NoAssignment(id);
        var tooLarge = Results.Problem(batches.TooLarge, statusCode: StatusCodes.Status413PayloadTooLarge);
        var (form, file, uploadProblem) = await ReviewsApi.ReadUploadAsync(request, batches.MaxBatchBytes, antiforgery, BatchUsage, cancellationToken, tooLarge);
        if (uploadProblem is not null)
            return uploadProblem;
        Guid? part = null;
        if (form!["part"].ToString() is { Length: > 0 } partText)
        {
            if (!Guid.TryParse(partText, out var parsed))
                return JsonBody.BadRequest($"part '{JsonBody.Cut(partText)}': give the id of one of the assignment's parts, or none. {BatchUsage}");
            part = parsed;
        }
        var pattern = form["pattern"].ToString() is { Length: > 0 } given ? given : null;
        await using var content = file!.OpenReadStream();
        var (batch, error) = await batches.CreateAsync(viewer, id, file.FileName, content, pattern, part, cancellationToken);
        if (batch is null)
            return error == batches.TooLarge ? tooLarge : Results.Problem(error, statusCode: 400);
        return Results.Created($"/api/assignments/{id}/batches/{batch.Id}", batch);
    }
}
