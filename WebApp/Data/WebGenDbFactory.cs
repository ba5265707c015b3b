using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Data;

/// <summary>
/// Makes contexts of the configured provider (WebGen:Database sqlite or postgres, connection string "Runs"); the
/// settings are read when the first context is made, so configuration added later (tests, hosting) counts.
/// </summary>
public sealed class WebGenDbFactory(IOptions<WebGenOptions> options, IConfiguration configuration, IHostEnvironment environment, ILoggerFactory loggers)
    : IDbContextFactory<WebGenDb>
{
    private readonly Lazy<Func<WebGenDb>> create = new(() => Creator(options.Value.Database, configuration.GetConnectionString("Runs"), environment.ContentRootPath, loggers));

    public WebGenDb CreateDbContext() => create.Value();

    private static Func<WebGenDb> Creator(string database, string? connection, string contentRoot, ILoggerFactory loggers)
    {
        switch (database.ToLowerInvariant())
        {
            case "sqlite":
                var sqlite = new SqliteConnectionStringBuilder(connection ?? "Data Source=../runs/webgen.db");
                sqlite.DataSource = Path.GetFullPath(sqlite.DataSource, contentRoot);
                Directory.CreateDirectory(Path.GetDirectoryName(sqlite.DataSource)!);
                var sqliteOptions = new DbContextOptionsBuilder<SqliteWebGenDb>().UseLoggerFactory(loggers).UseSqlite(sqlite.ToString()).Options;
                return () => new SqliteWebGenDb(sqliteOptions);
            case "postgres":
                if (string.IsNullOrWhiteSpace(connection))
                    throw new InvalidOperationException("WebGen:Database is postgres but ConnectionStrings:Runs is empty; give it e.g. \"Host=db;Database=webgen;Username=webgen;Password=…\".");
                var postgresOptions = new DbContextOptionsBuilder<PostgresWebGenDb>().UseLoggerFactory(loggers).UseNpgsql(connection).Options;
                return () => new PostgresWebGenDb(postgresOptions);
            default:
                throw new InvalidOperationException($"WebGen:Database {database}: accepted values are sqlite, postgres.");
        }
    }
}

/// <summary>For <c>dotnet ef migrations add … --context SqliteWebGenDb</c>: no database is opened.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteWebGenDb>
{
    public SqliteWebGenDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteWebGenDb>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>For <c>dotnet ef migrations add … --context PostgresWebGenDb</c>: no server is contacted.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresWebGenDb>
{
    public PostgresWebGenDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresWebGenDb>().UseNpgsql("Host=localhost;Database=webgen").Options);
}
