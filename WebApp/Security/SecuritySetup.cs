using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Security;

/// <summary>The rate limits, the sign-in throttle, the hub guard and the request checks of <see cref="RequestGuard"/>.</summary>
public static class SecuritySetup
{
    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SecurityOptions>().Bind(builder.Configuration.GetSection(SecurityOptions.Section))
            .Validate(o => !o.Problems().Any(), "WebGen:Security holds a value below 1.").ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddSingleton<HubGuard>();
        builder.Services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(Partition);
            o.OnRejected = (context, _) => Refuse(context.HttpContext, context.Lease);
        });
        // SignalR logs every exception of a hub method at error level with its stack trace, refusals included;
        // HubGuard logs those itself: refusals briefly and rate-limited, real failures in full.
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.None);
        return builder;
    }

    /// <summary>Who a request counts against: the signed-in user, or the remote address when nobody is signed in.</summary>
    public static string Who(HttpContext? http, ClaimsPrincipal? user) =>
        user?.FindFirstValue(ClaimTypes.NameIdentifier) is { } id ? $"user {id}" : $"address {Address(http)}";

    public static string Address(HttpContext? http) => http?.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static RateLimitPartition<string> Partition(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
        var request = http.Request;
        var (kind, limit) =
            request.Path.StartsWithSegments("/api") ? ("api", options.ApiRequestsPerWindow)
            : IsNewHubConnection(request) ? ("hub", options.HubConnectionsPerWindow)
            : HttpMethods.IsPost(request.Method)
              && (request.Path.Equals(AppPaths.Login, StringComparison.OrdinalIgnoreCase)
                  || request.Path.Equals(AppPaths.Register, StringComparison.OrdinalIgnoreCase))
                ? ("account", options.AccountFormPostsPerWindow)
                : (null, 0);
        if (kind is null)
            return RateLimitPartition.GetNoLimiter("");
        // Account forms count per address: nobody is signed in yet, and a user name would let anyone use up another's.
        var who = kind == "account" ? $"address {Address(http)}" : Who(http, http.User);
        return RateLimitPartition.GetFixedWindowLimiter($"{kind} {who}", _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit,
            Window = options.Window,
            QueueLimit = 0,
        });
    }

    /// <summary>A negotiation, or a WebSocket connection that skipped it (no connection id yet).</summary>
    private static bool IsNewHubConnection(HttpRequest request) =>
        request.Path.StartsWithSegments(AppPaths.RunsHub, out var rest)
        && (rest.Equals("/negotiate", StringComparison.OrdinalIgnoreCase) || (!rest.HasValue && !request.Query.ContainsKey("id")));

    private static async ValueTask Refuse(HttpContext http, RateLimitLease lease)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
        var seconds = options.RetrySeconds(lease);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Results.Problem($"Too many requests: retry in {seconds} s (the limits are set under {SecurityOptions.Section}).",
            statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(http);
    }
}
