using System.Net.Http.Json;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>A run's version orders its states, whichever front end an update comes through: a late one never wins.</summary>
public sealed class RunVersionTests
{
    private static RunState State(Guid id, long version) =>
        new(id, id, new TrainingOptions(), RunStatus.Running, null, null, null, DateTime.UtcNow, null, Version: version);

    [Fact]
    public void ALateUpdate_DoesNotSupersedeTheNewerStateShown() =>
        Assert.False(State(Guid.Empty, 4).Supersedes(State(Guid.Empty, 5)));

    [Fact]
    public void TheSameOrANewerVersion_SupersedesTheStateShown() =>
        Assert.True(State(Guid.Empty, 5).Supersedes(State(Guid.Empty, 5)) && State(Guid.Empty, 6).Supersedes(State(Guid.Empty, 5)));

    [Fact]
    public void AnotherRunsState_NeverSupersedes() =>
        Assert.False(State(Guid.NewGuid(), 9).Supersedes(State(Guid.NewGuid(), 1)));

    [Fact]
    public async Task EveryStoredChangeOfARun_RaisesItsVersion()
    {
        using var app = new WebGenFactory();
        using var client = app.CreateClient();
        var queued = (await (await client.PostAsJsonAsync("/api/runs", new { model = "vae", iterations = 100_000, device = "cpu" }, app.Json))
            .Content.ReadFromJsonAsync<RunState[]>(app.Json))![0];

        await client.PostAsync($"/api/runs/{queued.Id}/cancel", null);
        var cancelled = await FinishedAsync(client, app, queued.Id);

        Assert.True(cancelled.Version > queued.Version, $"queued at version {queued.Version}, cancelled at {cancelled.Version}");
    }

    private static async Task<RunState> FinishedAsync(HttpClient client, WebGenFactory app, Guid id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var state = (await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json, timeout.Token))!;
            if (state.IsFinished) return state;
            await Task.Delay(50, timeout.Token);
        }
    }
}
