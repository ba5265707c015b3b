using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace WebGen.Tools.LoadBench;

/// <summary>What the flood sent and how the server answered, counted across all its workers.</summary>
public sealed class FloodCounts
{
    public long Accepted;
    public long Refused;
    public long Throttled;
    public long Failed;
    public long LeakedUpdates;
    public long Reconnects;

    public long Total => Accepted + Refused + Throttled + Failed;
}

/// <summary>
/// Other students hammering the server while the victims' runs train: hub connections held open, and workers that
/// each keep one call in flight — refused ones (Subscribe to a victim's run, GET of a victim's run) and accepted ones
/// (Subscribe to an unknown run, GET of the queue) in turn. Every push a flooder receives of a victim's run is a leak.
/// </summary>
public sealed class Flood(IReadOnlyList<Student> flooders, IReadOnlyList<Guid> victims, int connections, int inFlight)
{
    public FloodCounts Counts { get; } = new();

    public int Connected { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        var hubs = new List<HubConnection>();
        try
        {
            for (var i = 0; i < connections; i++)
            {
                var hub = flooders[i % flooders.Count].Hub();
                hub.On<JsonElement>("RunUpdated", state =>
                {
                    if (state.TryGetProperty("id", out var id) && victims.Contains(id.GetGuid()))
                        Interlocked.Increment(ref Counts.LeakedUpdates);
                });
                try
                {
                    await hub.StartAsync(stop);
                    Connected++;
                }
                catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref Counts.Throttled);
                }
                hubs.Add(hub);
            }
            await Task.WhenAll(Enumerable.Range(0, inFlight).Select(worker => WorkAsync(worker, hubs, stop)));
        }
        finally
        {
            await Task.WhenAll(hubs.Select(h => h.DisposeAsync().AsTask()));
        }
    }

    private async Task WorkAsync(int worker, List<HubConnection> hubs, CancellationToken stop)
    {
        var hub = hubs[worker % hubs.Count];
        var client = flooders[worker % flooders.Count].Client;
        for (var call = worker; !stop.IsCancellationRequested; call++)
        {
            var victim = victims[call % victims.Count];
            try
            {
                switch (call % 4)
                {
                    case 0:
                        await EnsureConnectedAsync(hub, stop);
                        await hub.InvokeAsync<JsonElement?>("Subscribe", victim, stop);
                        Interlocked.Increment(ref Counts.Failed); // a victim's run must never be handed out
                        break;
                    case 1:
                        await EnsureConnectedAsync(hub, stop);
                        await hub.InvokeAsync<JsonElement?>("Subscribe", Guid.NewGuid(), stop);
                        Interlocked.Increment(ref Counts.Accepted);
                        break;
                    case 2:
                        Count(await client.GetAsync($"/api/runs/{victim}", stop), HttpStatusCode.Forbidden);
                        break;
                    default:
                        Count(await client.GetAsync("/api/queue", stop), HttpStatusCode.OK);
                        break;
                }
            }
            catch (HubException e) when (e.Message.Contains("too many", StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref Counts.Throttled);
            }
            catch (HubException)
            {
                Interlocked.Increment(ref Counts.Refused);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or TaskCanceledException)
            {
                Interlocked.Increment(ref Counts.Failed);
            }
        }
    }

    private void Count(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                Interlocked.Increment(ref Counts.Throttled);
            else if (response.StatusCode != expected)
                Interlocked.Increment(ref Counts.Failed);
            else if (expected == HttpStatusCode.OK)
                Interlocked.Increment(ref Counts.Accepted);
            else
                Interlocked.Increment(ref Counts.Refused);
        }
    }

    private async Task EnsureConnectedAsync(HubConnection hub, CancellationToken stop)
    {
        if (hub.State == HubConnectionState.Connected)
            return;
        if (hub.State == HubConnectionState.Disconnected)
        {
            Interlocked.Increment(ref Counts.Reconnects);
            await Task.Delay(500, stop);
            await hub.StartAsync(stop);
            return;
        }
        await Task.Delay(100, stop);
        throw new InvalidOperationException("the hub connection is not connected");
    }
}
