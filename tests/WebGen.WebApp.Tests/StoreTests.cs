using Microsoft.Data.Sqlite;
using WebGen.Tools.Cluster;

namespace WebGen.WebApp.Tests;

/// <summary>The runs database: written ahead to a log; one an older WebGen made is refused at start with the reason, not half used.</summary>
public sealed class StoreTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-store-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ANewDatabase_IsInWriteAheadLogMode()
    {
        using (var app = WebGenFactory.On(folder, []))
            app.CreateClient().Dispose();
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "runs.db")};Pooling=False");
        connection.Open();
        using var mode = connection.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", mode.ExecuteScalar());
    }

    [Fact]
    public async Task ADatabaseWithoutTheAccountsTablesAndRunOwners_IsRefusedAtStart_InOneLineWithExitCode2()
    {
        // The schema before class mode: runs without owners, no Identity tables.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "runs.db")};Pooling=False"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE TABLE "Runs" ("Id" TEXT NOT NULL PRIMARY KEY, "Group" TEXT NOT NULL, "OptionsJson" TEXT NOT NULL, "Status" TEXT NOT NULL,
                  "Step" INTEGER NOT NULL, "Loss" REAL NOT NULL, "Kl" REAL NOT NULL, "Rec" REAL NOT NULL, "StepsPerSecond" REAL NOT NULL,
                  "PreviewStep" INTEGER NOT NULL, "MetricsJson" TEXT NULL, "Checkpoint" TEXT NULL, "Grid" TEXT NULL, "Error" TEXT NULL,
                  "CreatedUtc" TEXT NOT NULL, "FinishedUtc" TEXT NULL);
                CREATE TABLE "MetricPoints" ("Id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "RunId" TEXT NOT NULL, "Step" INTEGER NOT NULL,
                  "Loss" REAL NOT NULL, "Kl" REAL NOT NULL, "Rec" REAL NOT NULL, "StepsPerSecond" REAL NOT NULL, "AtUtc" TEXT NOT NULL);
                """;
            create.ExecuteNonQuery();
        }
        var (exitCode, output) = await WebGenProcess.RunToExitAsync(ClusterFixture.WebAppDll(), new Dictionary<string, string>
        {
            ["ConnectionStrings:Runs"] = $"Data Source={Path.Combine(folder, "runs.db")};Pooling=False",
            ["WebGen:RunsFolder"] = Path.Combine(folder, "runs"),
            ["WebGen:DataFolder"] = WebGenFactory.DataFolder(),
        }, TimeSpan.FromMinutes(2));
        Assert.Equal(2, exitCode);
        Assert.Contains("was made by an older WebGen and lacks today's tables", output);
        Assert.Contains("no such column", output); // SQLite names the first of the missing columns
        Assert.DoesNotContain("   at ", output); // a line saying what is wrong, not a stack trace
    }
}
