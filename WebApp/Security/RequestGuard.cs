using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Security;

/// <summary>
/// Keeps other web sites from driving WebGen through a visitor's browser, and answers bad API requests with a JSON
/// problem. A browser marks a request another site's page makes with that site's Origin (or, failing that, Referer):
/// state-changing requests to the API and the sign-out, and any request to the hub, from another origin are refused
/// with 403. JSON endpoints also take only application/json bodies: a page can send text/plain to another site without
/// asking first, but not application/json. Scripts (curl, HttpClient) send no Origin and are not affected.
/// </summary>
public static class RequestGuard
{
    /// <summary>Where scripts talk to the app: answers here are JSON problems, never HTML pages.</summary>
    public static bool IsApi(PathString path) => path.StartsWithSegments(AppPaths.Api) || path.StartsWithSegments(AppPaths.RunsHub);

    /// <summary>The API endpoints whose body is a file (multipart/form-data): a review, a submission to an assignment, a batch zip.</summary>
    public static bool IsUpload(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && (request.Path.Equals("/api/reviews", StringComparison.OrdinalIgnoreCase)
            || (request.HasFormContentType && request.Path.Value?.Split('/') is ["", "api", "assignments", _, "submissions" or "batches"]));

    public static IApplicationBuilder UseRequestGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        var changesState = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        var guarded = request.Path.StartsWithSegments(AppPaths.RunsHub)
            || (changesState && (request.Path.StartsWithSegments(AppPaths.Api) || request.Path.Equals(AppPaths.Logout, StringComparison.OrdinalIgnoreCase)));
        if (guarded && ForeignOrigin(request) is { } origin)
        {
            await Problem(http, StatusCodes.Status403Forbidden,
                $"Cross-site request refused: it comes from a page of {JsonBody.Cut(origin)}, not of this app ({request.Scheme}://{request.Host}). Use WebGen's own pages, or a script (which sends no Origin header).");
            return;
        }
        if (changesState && request.Path.StartsWithSegments("/api") && !IsUpload(request) && HasBody(request))
        {
            var maxBytes = http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.MaxJsonBodyBytes;
            if (!IsJson(request.ContentType))
            {
                await Problem(http, StatusCodes.Status415UnsupportedMediaType,
                    $"Content-Type {JsonBody.Cut(request.ContentType ?? "(none)")}: accepted is application/json.");
                return;
            }
            if (request.ContentLength > maxBytes)
            {
                await Problem(http, StatusCodes.Status413PayloadTooLarge, JsonBody.TooLarge(maxBytes));
                return;
            }
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
                bodyLimit.MaxRequestBodySize = maxBytes; // a chunked body has no length to check up front
        }
        await next(http);
    });

    /// <summary>
    /// The status codes the API's endpoints leave without a body (no route, a method the route does not take, a
    /// parameter that did not bind) as JSON problems; pages keep the app's HTML page.
    /// </summary>
    public static Task ApiStatusPage(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        var what = $"{http.Request.Method} {JsonBody.Cut(http.Request.Path.Value ?? "")}";
        var detail = status switch
        {
            StatusCodes.Status404NotFound => $"There is no {what}: see the API in README.md; run and review ids are GUIDs, e.g. /api/runs/0f8fad5b-d9cb-469f-a165-70867728950e.",
            StatusCodes.Status405MethodNotAllowed => $"{what} is not accepted: see the API in README.md for each path's methods.",
            StatusCodes.Status400BadRequest => $"{what}: the request could not be read; see the API in README.md for what each endpoint takes.",
            _ => $"{what} answered {status}.",
        };
        return Problem(http, status, detail);
    }

    private static Task Problem(HttpContext http, int status, string detail) => Results.Problem(detail, statusCode: status).ExecuteAsync(http);

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static bool IsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    /// <summary>The origin of the page that made the request when it is not this app; null for this app's and for scripts.</summary>
    private static string? ForeignOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
            origin = request.Headers.Referer.ToString();
        if (origin.Length == 0)
            return null;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || !uri.Host.Equals(request.Host.Host, StringComparison.OrdinalIgnoreCase))
            return origin;
        // Behind a proxy the request may name no port while the page's origin does (https): then the host decides.
        return request.Host.Port is { } port && port != uri.Port ? origin : null;
    }
}
