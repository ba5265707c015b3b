using Microsoft.EntityFrameworkCore;
using WebGen.WebApp.Data;

using WebGen.Tools.Cluster;

namespace WebGen.WebApp.Tests;

/// <summary>A deployment's migrate step (compose.yaml's migrate service): the app with WebGen:MigrateOnly prepares the database and exits.</summary>
public sealed class MigrateOnlyTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-migrate-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task WithMigrateOnly_TheAppAppliesEveryMigrationAndExitsWithoutServing()
    {
        var database = Path.Combine(folder, "webgen.db");

        var (exitCode, output) = await WebGenProcess.RunToExitAsync(ClusterFixture.WebAppDll(), new Dictionary<string, string>
        {
            ["WebGen:MigrateOnly"] = "true",
            ["ConnectionStrings:Runs"] = $"Data Source={database};Pooling=False",
            ["WebGen:RunsFolder"] = Path.Combine(folder, "runs"),
        }, TimeSpan.FromMinutes(2));

        Assert.True(exitCode == 0, output); // it exited by itself: it never served
        await using var db = new SqliteWebGenDb(new DbContextOptionsBuilder<SqliteWebGenDb>().UseSqlite($"Data Source={database};Pooling=False").Options);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }
}
