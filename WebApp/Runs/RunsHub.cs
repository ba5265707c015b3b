using Microsoft.AspNetCore.SignalR;
using WebGen.Shared;

namespace WebGen.WebApp.Runs;

/// <summary>Live progress of runs: a client subscribes per run and first receives its current state.</summary>
public sealed class RunsHub(RunService runs) : Hub<IRunsClient>, IRunsHub
{
    public const string Path = "/hubs/runs";

    public static string Group(Guid runId) => $"run:{runId:N}";

    public async Task<RunState?> Subscribe(Guid runId)
    {
        var state = await runs.GetAsync(runId, Context.ConnectionAborted);
        if (state is not null)
            await Groups.AddToGroupAsync(Context.ConnectionId, Group(runId), Context.ConnectionAborted);
        return state;
    }

    public Task Unsubscribe(Guid runId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(runId));
}
