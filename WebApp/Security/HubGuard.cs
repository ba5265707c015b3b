using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Security;

/// <summary>
/// Every hub call passes here: calls over <see cref="SecurityOptions.HubInvocationsPerWindow"/> are refused with a
/// <see cref="HubException"/>, and refusals (another student's run, too many calls) are logged as one short line at
/// most every <see cref="SecurityOptions.RefusalLogSeconds"/> per caller, with the count left out in between — a
/// client repeating a refused call must not be able to fill the disk. Real failures are logged in full.
/// </summary>
public sealed class HubGuard : IHubFilter, IDisposable
{
    private readonly SecurityOptions options;
    private readonly ILogger<HubGuard> logger;
    private readonly TimeProvider time;
    private readonly PartitionedRateLimiter<string> invocations;
    private readonly ConcurrentDictionary<string, RefusalLog> refusals = new();

    /// <summary>Past this many callers, those not refused within the log interval are forgotten.</summary>
    private const int MaxRememberedCallers = 10_000;

    public HubGuard(IOptions<SecurityOptions> options, ILogger<HubGuard> logger, TimeProvider time)
    {
        (this.options, this.logger, this.time) = (options.Value, logger, time);
        invocations = PartitionedRateLimiter.Create<string, string>(who => RateLimitPartition.GetFixedWindowLimiter(who,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = this.options.HubInvocationsPerWindow, Window = this.options.Window, QueueLimit = 0 }));
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var who = SecuritySetup.Who(invocation.Context.GetHttpContext(), invocation.Context.User);
        using (var lease = invocations.AttemptAcquire(who))
        {
            if (!lease.IsAcquired)
            {
                var refusal = $"too many requests: at most {options.HubInvocationsPerWindow} hub calls per {options.WindowSeconds} s; retry in {options.RetrySeconds(lease)} s.";
                Refused(who, invocation.HubMethodName, refusal);
                throw new HubException(refusal);
            }
        }
        try
        {
            return await next(invocation);
        }
        catch (HubException e)
        {
            Refused(who, invocation.HubMethodName, e.Message);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Hub method {Method} failed for {Who}", invocation.HubMethodName, who);
            throw;
        }
    }

    private void Refused(string who, string method, string reason)
    {
        var now = time.GetUtcNow();
        var interval = TimeSpan.FromSeconds(options.RefusalLogSeconds);
        if (refusals.Count > MaxRememberedCallers)
            foreach (var (key, old) in refusals)
                if (now - old.LoggedAt > interval)
                    refusals.TryRemove(key, out _);
        var log = refusals.GetOrAdd(who, _ => new RefusalLog());
        int suppressed;
        lock (log)
        {
            if (log.Logged && now - log.LoggedAt < interval)
            {
                log.Suppressed++;
                return;
            }
            (suppressed, log.Suppressed, log.LoggedAt, log.Logged) = (log.Suppressed, 0, now, true);
        }
        logger.LogWarning("Hub refused {Method} for {Who}: {Reason} ({Suppressed} more refusals since the last line)",
            method, who, reason, suppressed);
    }

    public void Dispose() => invocations.Dispose();

    private sealed class RefusalLog
    {
        public bool Logged;
        public DateTimeOffset LoggedAt;
        public int Suppressed;
    }
}
