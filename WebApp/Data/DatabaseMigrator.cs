using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace WebGen.WebApp.Data;

/// <summary>
/// Brings the database to today's schema before the app takes requests, under a lock in the database (EF Core's for
/// SQLite, an advisory lock for PostgreSQL), so several processes may start on one database at once. A database the
/// previous WebGen made without migrations (EnsureCreated) is adopted when it has the first migration's schema; an
/// older one is refused with the reason.
/// </summary>
public sealed class DatabaseMigrator(IDbContextFactory<WebGenDb> dbFactory, ILogger<DatabaseMigrator> logger)
{
    /// <summary>The key of the PostgreSQL advisory lock held while one process migrates (any number unique to WebGen).</summary>
    public const long PostgresLockKey = 236_2026;

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            await CreatePostgresDatabaseAsync(db, cancellationToken);
            // Npgsql locks the history table in each migration's own transaction, and a process that read the history
            // before another's first migration committed then applies the second one again: one lock over it all.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({PostgresLockKey})", cancellationToken);
        }
        try
        {
            await AdoptPreviousSchemaAsync(db, cancellationToken);
            // Npgsql's migrator reads the history before it makes the table, and EF Core logs the failed read of a
            // new database as an error (which Npgsql then ignores): made first, the read finds it empty.
            if (db.Database.IsNpgsql())
                await db.Database.ExecuteSqlRawAsync(db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript(), cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            if (db.Database.IsNpgsql())
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({PostgresLockKey})", CancellationToken.None);
        }
        // Write-ahead logging (kept in the file): the progress of a training run is written a few times a second
        // while pages read, and a commit appends to one log instead of creating, syncing and deleting a journal.
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
    }

    /// <summary>Creates the configured PostgreSQL database when it does not exist yet; another process may create it meanwhile.</summary>
    private static async Task CreatePostgresDatabaseAsync(WebGenDb db, CancellationToken cancellationToken)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (await creator.ExistsAsync(cancellationToken))
            return;
        try
        {
            await creator.CreateAsync(cancellationToken);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.DuplicateDatabase)
        {
            // made by another process starting at the same time
        }
    }

    /// <summary>
    /// A database with the app's tables but no migration history was made by EnsureCreated: when it has every
    /// column of the first migration it is recorded as at that migration, so the later ones upgrade it.
    /// </summary>
    private async Task AdoptPreviousSchemaAsync(WebGenDb db, CancellationToken cancellationToken)
    {
        var history = db.GetService<IHistoryRepository>();
        var sql = db.GetService<ISqlGenerationHelper>();
        // Probed by reading: Npgsql's IHistoryRepository.ExistsAsync answered true with no history table.
        if (await FailureAsync(db, $"SELECT 1 FROM {sql.DelimitIdentifier("Runs")} WHERE 1 = 0", cancellationToken) is not null
            || await FailureAsync(db, $"SELECT 1 FROM {sql.DelimitIdentifier(HistoryRepository.DefaultTableName)} WHERE 1 = 0", cancellationToken) is null)
            return;
        var migrations = db.GetService<IMigrationsAssembly>();
        var (baselineId, baselineType) = migrations.Migrations.First();
        var baseline = migrations.CreateMigration(baselineType, db.Database.ProviderName!).TargetModel!;
        var model = db.GetService<IModelRuntimeInitializer>().Initialize(((IMutableModel)baseline).FinalizeModel(), designTime: true);
        var missing = new List<string>();
        foreach (var table in model.GetRelationalModel().Tables)
        {
            // Qualified, since SQLite reads an unknown "column" alone as a string.
            var name = sql.DelimitIdentifier(table.Name);
            var columns = string.Join(", ", table.Columns.Select(c => $"{name}.{sql.DelimitIdentifier(c.Name)}"));
            if (await FailureAsync(db, $"SELECT {columns} FROM {name} WHERE 1 = 0", cancellationToken) is { } failure)
                missing.Add(failure);
        }
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"The database ({db.Database.GetDbConnection().DataSource}) was made by an older WebGen and lacks today's tables " +
                $"({string.Join("; ", missing)}). Move it aside (its runs folder can stay) and start again.");
        // In one transaction, so another process starting now sees either no history or the adopted one.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
        var insert = $"INSERT INTO {sql.DelimitIdentifier(HistoryRepository.DefaultTableName)} " +
            $"({sql.DelimitIdentifier("MigrationId")}, {sql.DelimitIdentifier("ProductVersion")}) VALUES ({{0}}, {{1}}) ON CONFLICT DO NOTHING";
        await db.Database.ExecuteSqlRawAsync(insert, [baselineId, ProductInfo.GetVersion()], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Database made by the previous WebGen adopted as at migration {Migration}", baselineId);
    }

    /// <summary>
    /// The database's message when it cannot run <paramref name="query"/> (a table or column it lacks); null when it can.
    /// Run on the connection itself, not through EF Core, which logs each failed command as an error: on a new
    /// database every start would begin with one.
    /// </summary>
    private static async Task<string?> FailureAsync(WebGenDb db, string query, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = query;
            await command.ExecuteNonQueryAsync(cancellationToken);
            return null;
        }
        catch (DbException e)
        {
            return e.Message;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
