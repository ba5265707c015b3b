using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebGen.WebApp.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RunHandedOutUtc : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "HandedOutUtc",
                table: "Runs",
                type: "TEXT",
                nullable: true);

            // Runs handed out before this column were handed out at their admission.
            migrationBuilder.Sql("""UPDATE "Runs" SET "HandedOutUtc" = "AdmittedUtc" """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "HandedOutUtc",
                table: "Runs");
        }
    }
}
