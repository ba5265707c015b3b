using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Cluster;

/// <summary>
/// What lets several front ends serve one class: Data Protection keys in the database (a cookie written by one is
/// read by every other), and, when the connection string "Redis" is set, SignalR's Redis backplane for the hub and the
/// update bus for the pages. Without it (the single-process default) nothing here needs another server.
/// </summary>
public static class ClusterSetup
{
    /// <summary>The connection string (ConnectionStrings:Redis) that turns the Redis backplane and bus on.</summary>
    public const string RedisConnection = "Redis";

    /// <summary>The Redis connection string when one is set; null for the single-process default.</summary>
    public static string? RedisConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString(RedisConnection) is { Length: > 0 } redis ? redis : null;

    /// <summary>Keys are shared by name, not by the content root each process would otherwise isolate them under.</summary>
    public const string ApplicationName = "WebGen";

    public static WebApplicationBuilder AddCluster(this WebApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName(ApplicationName).PersistKeysToDbContext<WebGenDb>();
        if (RedisConnectionString(builder.Configuration) is not { } redis)
        {
            builder.Services.AddSingleton<IUpdateBus, InProcessUpdateBus>();
            return builder;
        }
        var options = RedisOptions(redis);
        builder.Services.AddSignalR().AddStackExchangeRedis(o => o.Configuration = options.Clone());
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options.Clone()));
        builder.Services.AddSingleton<RedisUpdateBus>();
        builder.Services.AddSingleton<IUpdateBus>(services => services.GetRequiredService<RedisUpdateBus>());
        builder.Services.AddHostedService<CatchUp>();
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return builder;
    }

    /// <summary>
    /// Starting without Redis is allowed (it reconnects by itself), and a command while it is away fails at once
    /// instead of waiting in a backlog: a training run's progress write never waits for Redis.
    /// </summary>
    private static ConfigurationOptions RedisOptions(string connection)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connection);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"ConnectionStrings:{RedisConnection} \"{connection}\" is not a Redis connection string (e.g. \"redis:6379\"): {e.Message}", e);
        }
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ChannelPrefix = RedisChannel.Literal("webgen:");
        return options;
    }
}
