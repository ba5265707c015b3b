using Microsoft.EntityFrameworkCore;

namespace WebGen.WebApp.Data;

public static class DataSetup
{
    /// <summary>Registers the app's database (SQLite or PostgreSQL, see <see cref="WebGenDbFactory"/>) and its migrator.</summary>
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IDbContextFactory<WebGenDb>, WebGenDbFactory>();
        // Identity's stores take a context per request.
        builder.Services.AddScoped(services => services.GetRequiredService<IDbContextFactory<WebGenDb>>().CreateDbContext());
        builder.Services.AddSingleton<DatabaseMigrator>();
        return builder;
    }
}
