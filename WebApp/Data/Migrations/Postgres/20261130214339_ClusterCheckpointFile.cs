using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebGen.WebApp.Data.Migrations.Postgres
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
                type: "text",
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
