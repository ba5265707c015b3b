using Microsoft.EntityFrameworkCore.Migrations;
using static WebGen.WebApp.Data.Migrations.EnumNumbers;

#nullable disable

namespace WebGen.WebApp.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EnumsStoredAsNames : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "Status",
                table: "Reviews",
                type: "TEXT",
                nullable: false,
                oldClrType: typeof(int),
                oldType: "INTEGER");

            migrationBuilder.AlterColumn<string>(
                name: "Model",
                table: "Reviews",
                type: "TEXT",
                nullable: false,
                oldClrType: typeof(int),
                oldType: "INTEGER");

            // SQLite copied the numbers into the new text columns as digits; run.json's "model" became a name too.
            migrationBuilder.Sql($"""UPDATE "Reviews" SET "Model" = {ToName("\"Model\"", Models)}, "Status" = {ToName("\"Status\"", ReviewStatuses)};""");
            migrationBuilder.Sql($"""
                UPDATE "Runs" SET "OptionsJson" = json_set("OptionsJson", '$.model', {ToName("CAST(json_extract(\"OptionsJson\", '$.model') AS TEXT)", Models)})
                WHERE json_type("OptionsJson", '$.model') = 'integer';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"""UPDATE "Reviews" SET "Model" = {ToNumber("\"Model\"", Models)}, "Status" = {ToNumber("\"Status\"", ReviewStatuses)};""");
            migrationBuilder.Sql($"""
                UPDATE "Runs" SET "OptionsJson" = json_set("OptionsJson", '$.model', CAST({ToNumber("json_extract(\"OptionsJson\", '$.model')", Models)} AS INTEGER))
                WHERE json_type("OptionsJson", '$.model') = 'text';
                """);

            migrationBuilder.AlterColumn<int>(
                name: "Status",
                table: "Reviews",
                type: "INTEGER",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AlterColumn<int>(
                name: "Model",
                table: "Reviews",
                type: "INTEGER",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "TEXT");
        }
    }
}
