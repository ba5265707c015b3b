using System.Threading.RateLimiting;

namespace WebGen.WebApp.Security;

/// <summary>
/// Limits against abuse, bound from "WebGen:Security". The defaults are far above what a class does in normal use (a
/// page opens one hub connection and subscribes to a handful of runs; scripts poll a run a few times a second), so
/// only floods reach them; requests count per signed-in user, or per remote address when nobody is signed in.
/// </summary>
public sealed class SecurityOptions
{
    public const string Section = "WebGen:Security";

    /// <summary>The length of every rate-limit window.</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>
    /// Requests to /api per window: 20 a second on average, a script polling a run every 50 ms. Each accepted request
    /// reads the database on the training server's cores, so this is also what a flood can take from training.
    /// </summary>
    public int ApiRequestsPerWindow { get; set; } = 1200;

    /// <summary>New connections to the runs hub per window.</summary>
    public int HubConnectionsPerWindow { get; set; } = 120;

    /// <summary>Hub method calls (Subscribe, Unsubscribe) per window.</summary>
    public int HubInvocationsPerWindow { get; set; } = 1200;

    /// <summary>Sign-in and registration form posts per remote address and window (a classroom may share one address).</summary>
    public int AccountFormPostsPerWindow { get; set; } = 120;

    /// <summary>Failed sign-ins to one account from one address before each further attempt there must wait.</summary>
    public int FreeFailedSignInsPerAccount { get; set; } = 5;

    /// <summary>Failed sign-ins from one address, to any accounts, before each further attempt there must wait.</summary>
    public int FreeFailedSignInsPerAddress { get; set; } = 50;

    /// <summary>The longest wait after failed sign-ins; the wait doubles with each failure beyond the free ones.</summary>
    public int MaxSignInWaitSeconds { get; set; } = 900;

    /// <summary>The largest JSON request body accepted, in bytes.</summary>
    public int MaxJsonBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Refused hub calls are logged at most once per user (or address) in this many seconds.</summary>
    public int RefusalLogSeconds { get; set; } = 10;

    public TimeSpan Window => TimeSpan.FromSeconds(WindowSeconds);

    /// <summary>Whole seconds until a refused caller may try again: what the limiter says, else a window; at least 1.</summary>
    public int RetrySeconds(RateLimitLease lease) =>
        Math.Max(1, (int)Math.Ceiling((lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : Window).TotalSeconds));

    /// <summary>What is wrong with these settings, one line each; empty when the app can use them.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(WindowSeconds), WindowSeconds), (nameof(ApiRequestsPerWindow), ApiRequestsPerWindow),
                     (nameof(HubConnectionsPerWindow), HubConnectionsPerWindow), (nameof(HubInvocationsPerWindow), HubInvocationsPerWindow),
                     (nameof(AccountFormPostsPerWindow), AccountFormPostsPerWindow), (nameof(FreeFailedSignInsPerAccount), FreeFailedSignInsPerAccount),
                     (nameof(FreeFailedSignInsPerAddress), FreeFailedSignInsPerAddress), (nameof(MaxSignInWaitSeconds), MaxSignInWaitSeconds),
                     (nameof(MaxJsonBodyBytes), MaxJsonBodyBytes), (nameof(RefusalLogSeconds), RefusalLogSeconds),
                 })
        {
            if (value < 1)
                yield return $"{Section}:{name} {value}: accepted values are whole numbers from 1.";
        }
    }
}
