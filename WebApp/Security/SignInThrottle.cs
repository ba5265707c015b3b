using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Security;

/// <summary>
/// Slows password guessing without handing anyone a lock-out. Identity's lockout (an account locked after five
/// failures) is off: anyone who knows the instructor's e-mail could keep them out of the class. Instead failures count
/// per (account, address) and per address; past <see cref="SecurityOptions.FreeFailedSignInsPerAccount"/> (or
/// <see cref="SecurityOptions.FreeFailedSignInsPerAddress"/>) each further attempt from that address must wait, 1 s,
/// 2 s, 4 s … up to <see cref="SecurityOptions.MaxSignInWaitSeconds"/>. The guesser waits; the real owner, from their
/// own address, signs in at once. A success clears its (account, address) count. What remains possible: guessing one
/// account slowly from very many addresses, which the password rules (8 characters of four kinds) have to answer.
/// </summary>
public sealed class SignInThrottle(IOptions<SecurityOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Failures> failures = new();

    /// <summary>Past this many entries, those whose wait is long over are forgotten.</summary>
    private const int MaxEntries = 100_000;

    /// <summary>How long this address must still wait before trying this account; null when it may try now.</summary>
    public TimeSpan? WaitFor(string account, string address)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var wait = new[]
        {
            Remaining(AccountKey(account, address), settings.FreeFailedSignInsPerAccount, now),
            Remaining(AddressKey(address), settings.FreeFailedSignInsPerAddress, now),
        }.Max();
        return wait > TimeSpan.Zero ? wait : null;
    }

    public void Failed(string account, string address)
    {
        var now = time.GetUtcNow();
        if (failures.Count > MaxEntries)
            Forget(now);
        // A count whose last failure is older than the longest wait starts again: yesterday's typos do not count.
        foreach (var key in new[] { AccountKey(account, address), AddressKey(address) })
            failures.AddOrUpdate(key, _ => new Failures(1, now), (_, f) => new Failures(IsStale(f, now) ? 1 : f.Count + 1, now));
    }

    public void Succeeded(string account, string address) => failures.TryRemove(AccountKey(account, address), out _);

    private TimeSpan Remaining(string key, int free, DateTimeOffset now) =>
        failures.TryGetValue(key, out var f) && f.Count >= free ? f.LastUtc + Wait(f.Count - free) - now : TimeSpan.Zero;

    /// <summary>1 s after the first failure beyond the free ones, doubling up to the maximum.</summary>
    private TimeSpan Wait(int beyondFree) =>
        TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Min(beyondFree, 30)), options.Value.MaxSignInWaitSeconds));

    private bool IsStale(Failures f, DateTimeOffset now) => now - f.LastUtc > TimeSpan.FromSeconds(options.Value.MaxSignInWaitSeconds);

    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, f) in failures)
            if (IsStale(f, now))
                failures.TryRemove(key, out _);
    }

    private static string AccountKey(string account, string address) => $"{account.Trim().ToUpperInvariant()}|{address}";

    private static string AddressKey(string address) => $"|{address}";

    private sealed record Failures(int Count, DateTimeOffset LastUtc);
}
