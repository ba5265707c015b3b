using System.Net.Http.Json;
using System.Text.Json;
using WebGen.Tools.Cluster;

namespace WebGen.WebApp.Tests;

/// <summary>ConnectionStrings:Redis as a careless operator gives it: malformed, or naming a Redis that does not answer.</summary>
public sealed class RedisSettingTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-redis-setting-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private Dictionary<string, string> Settings(string redis) => new()
    {
        ["ConnectionStrings:Runs"] = $"Data Source={Path.Combine(folder, "webgen.db")};Pooling=False",
        ["WebGen:RunsFolder"] = Path.Combine(folder, "runs"),
        ["ConnectionStrings:Redis"] = redis,
    };

    [Fact]
    public async Task AMalformedRedisConnectionString_StopsTheAppNamingTheSettingAndAnExample()
    {
        var (exitCode, output) = await WebGenProcess.RunToExitAsync(ClusterFixture.WebAppDll(), Settings("127.0.0.1:6379,bogus=1"), TimeSpan.FromMinutes(2));

        Assert.True(exitCode != 0 && output.Contains("ConnectionStrings:Redis \"127.0.0.1:6379,bogus=1\" is not a Redis connection string (e.g. \"redis:6379\")"), output);
    }

    [Fact]
    public async Task ARedisThatDoesNotAnswer_LeavesTheAppServing_AndHealthzSaysRedisIsDegraded()
    {
        await using var app = await WebGenProcess.StartAsync(ClusterFixture.WebAppDll(), null, Settings($"127.0.0.1:{ServerProcesses.FreePort()}"));
        using var client = new HttpClient { BaseAddress = app.Address };

        var health = await client.GetFromJsonAsync<JsonElement>("/healthz");

        Assert.Equal("Degraded", health.GetProperty("status").GetString());
        Assert.StartsWith("Redis does not answer: ", health.GetProperty("checks").GetProperty("redis").GetProperty("description").GetString());
    }
}
