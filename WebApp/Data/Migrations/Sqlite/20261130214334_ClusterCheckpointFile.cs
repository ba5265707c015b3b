using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebGen.WebApp.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ClusterCheckpointFile : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CheckpointFile",
                table: "Runs",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CheckpointFile",
                table: "Runs");
        }
    }
}
