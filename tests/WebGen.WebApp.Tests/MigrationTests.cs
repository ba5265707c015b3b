using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>
/// The schema comes from EF Core migrations: a database the previous WebGen made (EnsureCreated, models stored as
/// numbers) is adopted and upgraded at start, and several processes starting on one new database migrate it once.
/// </summary>
public sealed class MigrationTests : IDisposable
{
    private static readonly Guid SsvaeRun = Guid.Parse("0B1D6C3E-8F4A-4E51-9C2B-6A7D8E9F0A11");
    private static readonly Guid GmvaeRun = Guid.Parse("5C2E7A90-1B3D-4F6E-8A9C-0D1E2F3A4B22");
    private static readonly Guid Review = Guid.Parse("9A8B7C6D-5E4F-4321-8765-43210FEDCBA9");

    private readonly string folder = Directory.CreateTempSubdirectory("webgen-migrate-").FullName;

    private string Database => Path.Combine(folder, "runs.db");

    private string Connection => $"Data Source={Database};Pooling=False";

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>The class-mode settings the previous version's database was made with (its instructor).</summary>
    private static Dictionary<string, string?> ClassMode => new()
    {
        ["WebGen:Mode"] = "class",
        ["WebGen:Class:InstructorEmail"] = ClassModeFactory.InstructorEmail,
        ["WebGen:Class:InstructorPassword"] = ClassModeFactory.InstructorPassword,
    };

    private void MakePreviousVersionDatabase()
    {
        using var connection = new SqliteConnection(Connection);
        connection.Open();
        using var script = connection.CreateCommand();
        script.CommandText = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "previous-version.sqlite.sql"));
        script.ExecuteNonQuery();
    }

    [Fact]
    public async Task ADatabaseOfThePreviousVersion_IsUpgradedAtStart_ItsInstructorRunsAndReviewsIntact()
    {
        MakePreviousVersionDatabase();
        using var app = WebGenFactory.On(folder, ClassMode);

        using var instructor = await app.AsInstructorAsync(); // the stored password hash still signs in
        var runs = (await instructor.Client.GetFromJsonAsync<RunState[]>("/api/runs", app.Json))!;
        var review = (await instructor.Client.GetFromJsonAsync<ReviewState>($"/api/reviews/{Review}", app.Json))!;
        var history = (await instructor.Client.GetFromJsonAsync<MetricPoint[]>($"/api/runs/{SsvaeRun}/history", app.Json))!;

        Assert.Equal([(GmvaeRun, ModelKind.Gmvae, RunStatus.Cancelled), (SsvaeRun, ModelKind.Ssvae, RunStatus.Completed)],
            runs.Select(r => (r.Id, r.Options.Model, r.Status)));
        var ssvae = runs.Single(r => r.Id == SsvaeRun);
        Assert.Equal((64, 0.9512, ClassModeFactory.InstructorEmail), (ssvae.Options.ZDim, ssvae.Metrics!.Accuracy, ssvae.Owner));
        Assert.Equal([new AccuracyPoint(500, 0.91)], ssvae.TestAccuracy);
        Assert.Equal([30000], history.Select(p => p.Step));
        Assert.Equal((ModelKind.Ssvae, ReviewStatus.Done, 0.9488, "Well done."), (review.Model, review.Status, review.Metrics!.Accuracy, review.Comment));
    }

    [Fact]
    public void ADatabaseOfThePreviousVersion_StoresModelsAndReviewStatusesByNameOnceUpgraded()
    {
        MakePreviousVersionDatabase();
        using (var app = WebGenFactory.On(folder, ClassMode))
            app.CreateClient().Dispose();

        Assert.Equal(["ssvae|Done"], Query("""SELECT "Model" || '|' || "Status" FROM "Reviews";"""));
        Assert.Equal(["gmvae", "ssvae"], Query("""SELECT json_extract("OptionsJson", '$.model') FROM "Runs" ORDER BY "CreatedUtc" DESC;"""));
        using var known = new SqliteDesignTimeFactory().CreateDbContext([]); // every migration, whoever adds one
        Assert.Equal(known.Database.GetMigrations(), Query("""SELECT "MigrationId" FROM "__EFMigrationsHistory" ORDER BY "MigrationId";"""));
    }

    [Fact]
    public async Task SeveralProcessesStartingOnOneNewDatabase_MigrateItOnce()
    {
        // Each migrator has its own connections, as separate processes would; EF Core's lock is in the database.
        var options = new DbContextOptionsBuilder<SqliteWebGenDb>().UseSqlite(Connection).Options;
        var starts = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            new DatabaseMigrator(new Contexts(() => new SqliteWebGenDb(options)), NullLogger<DatabaseMigrator>.Instance).MigrateAsync()));

        await Task.WhenAll(starts);

        await using var db = new SqliteWebGenDb(options);
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task ANewDatabase_IsMigratedWithoutAnErrorInTheLog()
    {
        // Probing for the previous version's tables finds none; an operator must not read that as a failure.
        var errors = await ErrorsLoggedWhileMigratingAsync(loggers =>
            new SqliteWebGenDb(new DbContextOptionsBuilder<SqliteWebGenDb>().UseSqlite(Connection).UseLoggerFactory(loggers).Options));

        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    /// <summary>Migrates the database <paramref name="open"/> reaches; the error lines it logged, EF Core's included.</summary>
    internal static async Task<List<string>> ErrorsLoggedWhileMigratingAsync(Func<ILoggerFactory, WebGenDb> open)
    {
        var logs = new CapturedLogs();
        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(logs));
        await new DatabaseMigrator(new Contexts(() => open(loggers)), loggers.CreateLogger<DatabaseMigrator>()).MigrateAsync();
        Assert.Contains(logs.Entries, e => e.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)); // heard
        return [.. logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}")];
    }

    private List<string> Query(string sql)
    {
        using var connection = new SqliteConnection(Connection);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add(reader.GetString(0));
        return rows;
    }
}

/// <summary>Contexts made as a test says, for a <see cref="DatabaseMigrator"/> of its own (one per simulated process).</summary>
internal sealed class Contexts(Func<WebGenDb> create) : IDbContextFactory<WebGenDb>
{
    public WebGenDb CreateDbContext() => create();
}
