using Microsoft.Extensions.Options;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Data;

namespace WebGen.WebApp;

/// <summary>
/// Before the app takes requests: the mode, the database's schema, the class's settings, and in class mode the two
/// roles and the initial instructor; anything the app cannot use stops it with the reason.
/// </summary>
public static class StoreStartup
{
    public static async Task PrepareStoreAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var options = services.GetRequiredService<IOptions<WebGenOptions>>().Value;
        if (!options.IsClassMode && !options.Mode.Equals(WebGenOptions.SingleMode, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"WebGen:Mode {options.Mode}: accepted values are single, class.");
        var hasRedis = Cluster.ClusterSetup.RedisConnectionString(services.GetRequiredService<IConfiguration>()) is not null;
        if (Runs.RunExecution.Refusal(options, hasRedis) is { } refusal)
            throw new InvalidOperationException(refusal);
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        await services.GetRequiredService<ClassRules>().LoadAsync(cancellationToken);
        if (!options.IsClassMode)
            return;
        using var scope = services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<AccountService>().EnsureInstructorAsync(options.Class);
    }
}
