using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using WebGen.Shared;
using WebGen.WebApp.Accounts;

namespace WebGen.WebApp.Runs;

/// <summary>
/// Live progress of runs: a client subscribes per run and first receives its current state. In class mode only
/// signed-in users connect, and a student subscribes only to their own runs.
/// </summary>
[Authorize(Policy = ClassPolicies.Member)]
public sealed class RunsHub(RunService runs, ClassAccess access) : Hub<IRunsClient>, IRunsHub
{
    public const string Path = "/hubs/runs";

    public static string Group(Guid runId) => $"run:{runId:N}";

    public async Task<RunState?> Subscribe(Guid runId)
    {
        // In the group before the state is read: a change between the two then arrives as an update, where the other
        // order would lose it (and a run finishing there would leave its watcher waiting for the end forever).
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(runId), Context.ConnectionAborted);
        var state = await runs.GetAsync(runId, Context.ConnectionAborted);
        if (state is not null && access.ViewerOf(Context.User).MaySee(state))
            return state;
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(runId), Context.ConnectionAborted);
        return state is null ? null : throw new HubException(Viewer.NotYours(runId));
    }

    public Task Unsubscribe(Guid runId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(runId));
}
