using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using WebGen.Shared;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Security;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Live progress of runs: a client subscribes per run and first receives its current state. In class mode only
/// signed-in users connect, and a student subscribes only to their own runs. With several front ends (SignalR's Redis
/// backplane) updates of one run may come from any of them: a client keeps a state only when its
/// <see cref="RunState.Version"/> is not older than the one it holds, and on reconnecting subscribes again, which
/// answers the state stored now.
/// </summary>
[Authorize(Policy = ClassPolicies.Member)]
public sealed class RunsHub(RunCatalog runs, ClassAccess access) : Hub<IRunsClient>, IRunsHub
{
    public const string Path = AppPaths.RunsHub;

    public static string Group(Guid runId) => $"run:{runId:N}";

    public async Task<RunState?> Subscribe(Guid runId)
    {
        // Who may watch is decided before joining the group: a refused caller must never be in it, not even for the
        // moment a check takes (it would receive the pushes of that moment). A run's owner never changes, so the check
        // on the first read holds.
        var seen = await runs.GetAsync(runId, Context.ConnectionAborted);
        if (seen is null)
            return null;
        if (!access.ViewerOf(Context.User).MaySee(seen))
            throw new HubException(Viewer.NotYours(runId));
        // In the group before the state is read again: a change between the two then arrives as an update, where the
        // other order would lose it (and a run finishing there would leave its watcher waiting for the end forever).
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(runId), Context.ConnectionAborted);
        return await runs.GetAsync(runId, Context.ConnectionAborted) ?? seen;
    }

    public Task Unsubscribe(Guid runId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(runId));
}
