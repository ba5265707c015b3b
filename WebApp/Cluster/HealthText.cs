using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace WebGen.WebApp.Cluster;

/// <summary>
/// /healthz as plain text: the overall status on the first line (all a probe reads), then one line per check with
/// what it found, e.g. "redis: Healthy (PING 0.4 ms)".
/// </summary>
public static class HealthText
{
    public static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "text/plain; charset=utf-8";
        var lines = report.Entries.Select(e => $"{e.Key}: {e.Value.Status}{(e.Value.Description is { } d ? $" ({d})" : "")}");
        return http.Response.WriteAsync(string.Join('\n', lines.Prepend(report.Status.ToString())));
    }
}
