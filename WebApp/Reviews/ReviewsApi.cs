using System.Globalization;
using System.Text;
using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using WebGen.Compute.Checkpoints;
using WebGen.Shared;
using WebGen.WebApp.Runs;
using WebGen.WebApp.Security;

namespace WebGen.WebApp.Reviews;

/// <summary>
/// The submission-review API, all under one route group (returned, so the host can require the instructor role on
/// it in one place): upload a checkpoint, read reviews and their grids, comment, export the gradebook CSV.
/// </summary>
public static class ReviewsApi
{
    /// <summary>Room for the multipart form's other fields and boundaries above the file's own limit.</summary>
    private const long FormOverhead = 64 * 1024;

    public static WebApplicationBuilder AddReviews(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReviewService>();
        builder.Services.AddTransient<ReviewJob>();
        builder.Services.AddHostedService<ReviewJob.Recovery>();
        // A worker evaluates reviews on a job server of its own with one job worker, so an evaluation never takes a run's slot.
        if (WebGenOptions.Read(builder.Configuration).IsWorker)
            builder.Services.AddHangfireServer((services, server) =>
            {
                (server.WorkerCount, server.Queues) = (1, [ReviewJob.Queue]);
                server.ServerName = $"{services.GetRequiredService<WorkerHeartbeat>().Id}-reviews";
            });
        return builder;
    }

    public static RouteGroupBuilder MapReviewsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        // multipart/form-data: file, student, model (vae|gmvae|ssvae), gw (0|1, SSVAE only) → 202 with the review.
        // Antiforgery is checked in UploadAsync, for browser pages only: scripts have no token to send.
        api.MapPost("/reviews", UploadAsync).DisableAntiforgery();
        api.MapGet("/reviews", async (ReviewService reviews, CancellationToken cancellationToken) => await reviews.ListAsync(cancellationToken));
        api.MapGet("/reviews/{id:guid}", async (Guid id, ReviewService reviews, CancellationToken cancellationToken) =>
            await reviews.GetAsync(id, cancellationToken) is { } review ? Results.Ok(review) : NotFound(id));
        api.MapGet("/reviews/{id:guid}/grid.png", (Guid id, ReviewService reviews) =>
            File.Exists(reviews.GridPath(id))
                ? Results.File(reviews.GridPath(id), "image/png", $"review-{id:N}-samples.png")
                : Results.Problem($"Review {id} has no sample grid (yet).", statusCode: 404));
        api.MapPut("/reviews/{id:guid}/comment", async (Guid id, HttpRequest request, ReviewService reviews, CancellationToken cancellationToken) =>
        {
            var (body, problem) = await JsonBody.ReadObjectAsync(request, CommentExample, cancellationToken);
            if (body is null)
                return problem!;
            if (body.Select(p => p.Key).FirstOrDefault(k => !k.Equals("comment", StringComparison.OrdinalIgnoreCase)) is { } unknown)
                return JsonBody.BadRequest($"Unknown field {JsonBody.Cut(unknown)}: the accepted field is comment. {CommentExample}");
            var comment = body.FirstOrDefault().Value;
            if (comment is not null && comment.GetValueKind() != JsonValueKind.String)
                return JsonBody.BadRequest($"comment is a JSON {comment.GetValueKind().ToString().ToLowerInvariant()}: accepted is a string. {CommentExample}");
            var (review, error) = await reviews.SaveCommentAsync(id, comment?.GetValue<string>() ?? "", cancellationToken);
            return error is not null ? Results.Problem(error, statusCode: 400) : review is null ? NotFound(id) : Results.Ok(review);
        });
        api.MapGet("/reviews.csv", async (ReviewService reviews, CancellationToken cancellationToken) =>
            Results.File(Encoding.UTF8.GetBytes(await reviews.CsvAsync(cancellationToken)), "text/csv", "reviews.csv"));
        return api;
    }

    private const string CommentExample = "The body must be a JSON object such as {\"comment\": \"Well done.\"}.";

    private static async Task<IResult> UploadAsync(HttpRequest request, ReviewService reviews, IAntiforgery antiforgery, CancellationToken cancellationToken)
    {
        var (form, file, problem) = await ReadUploadAsync(request, reviews.MaxUploadBytes, antiforgery, UploadUsage, cancellationToken);
        if (problem is not null)
            return problem;
        var tooLarge = TooLarge(reviews.MaxUploadBytes);
        if (!Enum.TryParse<ModelKind>(form!["model"].ToString(), ignoreCase: true, out var model) || !Enum.IsDefined(model))
            return Results.Problem($"model '{JsonBody.Cut(form!["model"].ToString())}': accepted values are vae, gmvae, ssvae.", statusCode: 400);
        double? gw = null;
        if (form!["gw"].ToString() is { Length: > 0 } gwText)
        {
            if (!double.TryParse(gwText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                return Results.Problem($"gw '{JsonBody.Cut(gwText)}': accepted values are 0 and 1.", statusCode: 400);
            gw = value;
        }
        var reviewRequest = new ReviewRequest(form!["student"].ToString(), model, gw, Path.GetFileName(file!.FileName));
        try
        {
            await using var content = file!.OpenReadStream();
            var (review, error) = await reviews.CreateAsync(reviewRequest, content, cancellationToken);
            return review is null
                ? Results.Problem(error, statusCode: 400)
                : Results.Accepted($"/api/reviews/{review.Id}", review);
        }
        catch (CheckpointTooLargeException)
        {
            return tooLarge;
        }
    }

    public static IResult TooLarge(long limit) => Results.Problem(
        $"The upload is larger than the limit of {ByteSize.Describe(limit)} (WebGen:MaxUploadBytes); a homework checkpoint is 3 to 5 MB.",
        statusCode: StatusCodes.Status413PayloadTooLarge);

    /// <summary>
    /// Reads a checkpoint upload (multipart/form-data with a field "file") within <paramref name="limit"/>: the form,
    /// its file, or the problem to answer (413 over the limit, 400 for a malformed body or a browser page's request
    /// without its antiforgery token). <paramref name="usage"/> says what the endpoint expects.
    /// </summary>
    public static async Task<(IFormCollection? Form, IFormFile? File, IResult? Problem)> ReadUploadAsync(
        HttpRequest request, long limit, IAntiforgery antiforgery, string usage, CancellationToken cancellationToken, IResult? tooLarge = null)
    {
        tooLarge ??= TooLarge(limit);
        if (request.ContentLength > limit + FormOverhead)
            return (null, null, tooLarge);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
            bodyLimit.MaxRequestBodySize = limit + FormOverhead; // Kestrel's default (30 MB) is not ours
        if (!request.HasFormContentType)
            return (null, null, Results.Problem(usage, statusCode: 400));
        // Nor is the form reader's (128 MB for a file): the limit is ours, whichever is asked for.
        if (request.HttpContext.Features.Get<IFormFeature>() is not { Form: not null })
            request.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions { MultipartBodyLengthLimit = limit + FormOverhead }));
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, null, tooLarge);
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested) // a malformed multipart body
        {
            return (null, null, Results.Problem($"The multipart body could not be read ({JsonBody.Cut(e.Message, 200)}). {usage}", statusCode: 400));
        }
        // A browser marks a page's requests with Origin or Referer (RequestGuard has refused other sites'): such an
        // upload must carry the antiforgery token of a WebGen page, as a form post does; scripts send neither header.
        if ((request.Headers.Origin.Count > 0 || request.Headers.Referer.Count > 0) && !await antiforgery.IsRequestValidAsync(request.HttpContext))
            return (null, null, Results.Problem($"An upload from a browser page needs the page's antiforgery token (__RequestVerificationToken); WebGen's pages upload for you. {usage}", statusCode: 400));
        if (form.Files.GetFile("file") is not { } file)
            return (null, null, Results.Problem($"No file. {usage}", statusCode: 400));
        if (file.Length > limit)
            return (null, null, tooLarge);
        return (form, file, null);
    }

    private const string UploadUsage =
        "Send multipart/form-data with file (the checkpoint), student, model (vae, gmvae or ssvae) and, for the SSVAE, gw (0 or 1).";

    private static IResult NotFound(Guid id) => Results.Problem($"There is no review {id}.", statusCode: 404);
}
