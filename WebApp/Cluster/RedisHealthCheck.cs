using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace WebGen.WebApp.Cluster;

/// <summary>/healthz's "redis" entry: the round trip of a PING, or why there was none.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var roundTrip = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"PING {roundTrip.TotalMilliseconds:0.#} ms");
        }
        catch (RedisException e)
        {
            // Degraded, not unhealthy: pages and training go on; only other front ends' live updates wait.
            return HealthCheckResult.Degraded($"Redis does not answer: {e.Message}");
        }
    }
}
