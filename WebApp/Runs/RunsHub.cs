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
        var state = await runs.GetAsync(runId, Context.ConnectionAborted);
        if (state is null)
            return null;
        if (!access.ViewerOf(Context.User).MaySee(state))
            throw new HubException(Viewer.NotYours(runId));
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(runId), Context.ConnectionAborted);
        return state;
    }

    public Task Unsubscribe(Guid runId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(runId));
}
