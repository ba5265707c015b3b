using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using WebGen.Shared;
using WebGen.WebApp.Data;
using WebGen.WebApp.Reviews;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The PostgreSQL migrations, on a real server: a new database is made at start, a previous-version one upgraded.</summary>
public sealed class PostgresMigrationTests(PostgresServer server) : IClassFixture<PostgresServer>, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-pg-app-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private WebGenFactory App(string database) => WebGenFactory.On(folder, new()
    {
        ["WebGen:Database"] = "postgres",
        ["ConnectionStrings:Runs"] = server.ConnectionString(database),
    });

    private PostgresWebGenDb Db(string database) =>
        new(new DbContextOptionsBuilder<PostgresWebGenDb>().UseNpgsql(server.ConnectionString(database)).Options);

    [Fact]
    public async Task ANewDatabase_IsMadeByTheMigrationsAtStart_AndStoresRuns()
    {
        using var app = App("fresh");
        using var client = app.CreateClient();

        var created = await client.PostAsJsonAsync("/api/runs", new { model = "gmvae", iterations = 100_000, device = "cpu" }, app.Json);
        var id = (await created.Content.ReadFromJsonAsync<RunState[]>(app.Json))![0].Id;
        await client.PostAsync($"/api/runs/{id}/cancel", null);

        var run = (await client.GetFromJsonAsync<RunState>($"/api/runs/{id}", app.Json))!;
        Assert.Equal((ModelKind.Gmvae, 100_000), (run.Options.Model, run.Options.Iterations));
        await using var db = Db("fresh");
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task SeveralProcessesStartingOnOneNewDatabase_MigrateItOnce()
    {
        // Each migrator has its own connections, as separate processes would; EF Core's lock is in the database.
        var starts = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            new DatabaseMigrator(new Contexts(() => Db("shared")), NullLogger<DatabaseMigrator>.Instance).MigrateAsync()));

        await Task.WhenAll(starts);

        await using var db = Db("shared");
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task ANewDatabase_IsMigratedWithoutAnErrorInTheLog()
    {
        var errors = await MigrationTests.ErrorsLoggedWhileMigratingAsync(loggers => new PostgresWebGenDb(
            new DbContextOptionsBuilder<PostgresWebGenDb>().UseNpgsql(server.ConnectionString("quiet")).UseLoggerFactory(loggers).Options));

        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    [Fact]
    public async Task ADatabaseOfThePreviousVersion_IsUpgradedAtStart_ModelsStoredByName()
    {
        var run = Guid.NewGuid();
        var review = Guid.NewGuid();
        await using (var db = Db("previous"))
        {
            // The previous version's schema is the first migration's, made by EnsureCreated: no migration history.
            await db.GetService<IMigrator>().MigrateAsync(db.Database.GetMigrations().First());
            await db.Database.ExecuteSqlRawAsync("""DROP TABLE "__EFMigrationsHistory";""");
            await db.Database.ExecuteSqlAsync($$"""
                INSERT INTO "Runs" ("Id", "Group", "OptionsJson", "Status", "Step", "Loss", "Kl", "Rec", "StepsPerSecond", "PreviewStep", "CreatedUtc", "Crashes")
                VALUES ({{run}}, {{run}}, '{"model":2,"iterations":30000,"seed":0,"run":0,"batchSize":100,"learningRate":0.001,"zDim":64,"k":500,"genWeight":1,"classWeight":100,"checkpointEvery":10000,"device":"auto"}',
                  'Cancelled', 0, 0, 0, 0, 0, 0, now(), 0);
                """);
            await db.Database.ExecuteSqlAsync($$"""
                INSERT INTO "Reviews" ("Id", "Student", "Model", "FileName", "FileBytes", "Format", "ZDim", "Status", "Comment", "CreatedUtc")
                VALUES ({{review}}, 'Ada', 1, 'model.pt', 1, 'PyTorch', 10, 3, '', now());
                """);
        }

        using (var app = App("previous"))
        {
            using var client = app.CreateClient();
            Assert.Equal(ModelKind.Ssvae, (await client.GetFromJsonAsync<RunState>($"/api/runs/{run}", app.Json))!.Options.Model);
            Assert.Equal((ModelKind.Gmvae, ReviewStatus.Failed),
                (await client.GetFromJsonAsync<ReviewState>($"/api/reviews/{review}", app.Json)) is { } r ? (r.Model, r.Status) : default);
        }

        await using var upgraded = Db("previous");
        Assert.Equal(["ssvae"], await upgraded.Database.SqlQueryRaw<string>("""SELECT "OptionsJson"::jsonb->>'model' AS "Value" FROM "Runs" """).ToListAsync());
        Assert.Equal(["gmvae|Failed"], await upgraded.Database.SqlQueryRaw<string>("""SELECT "Model" || '|' || "Status" AS "Value" FROM "Reviews" """).ToListAsync());
    }
}
