using Microsoft.EntityFrameworkCore.Migrations;
using static WebGen.WebApp.Data.Migrations.EnumNumbers;

#nullable disable

namespace WebGen.WebApp.Data.Migrations.Postgres
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
                type: "text",
                nullable: false,
                oldClrType: typeof(int),
                oldType: "integer");

            migrationBuilder.AlterColumn<string>(
                name: "Model",
                table: "Reviews",
                type: "text",
                nullable: false,
                oldClrType: typeof(int),
                oldType: "integer");

            // The numbers became their digits in the new text columns; run.json's "model" becomes a name too.
            migrationBuilder.Sql($"""UPDATE "Reviews" SET "Model" = {ToName("\"Model\"", Models)}, "Status" = {ToName("\"Status\"", ReviewStatuses)};""");
            migrationBuilder.Sql($$"""
                UPDATE "Runs" SET "OptionsJson" = jsonb_set("OptionsJson"::jsonb, '{model}', to_jsonb({{ToName("\"OptionsJson\"::jsonb->>'model'", Models)}}::text))::text
                WHERE jsonb_typeof("OptionsJson"::jsonb->'model') = 'number';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"""UPDATE "Reviews" SET "Model" = {ToNumber("\"Model\"", Models)}, "Status" = {ToNumber("\"Status\"", ReviewStatuses)};""");
            migrationBuilder.Sql($$"""
                UPDATE "Runs" SET "OptionsJson" = jsonb_set("OptionsJson"::jsonb, '{model}', to_jsonb(({{ToNumber("\"OptionsJson\"::jsonb->>'model'", Models)}})::integer))::text
                WHERE jsonb_typeof("OptionsJson"::jsonb->'model') = 'string';
                """);

            migrationBuilder.AlterColumn<int>(
                name: "Status",
                table: "Reviews",
                type: "integer",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AlterColumn<int>(
                name: "Model",
                table: "Reviews",
                type: "integer",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text");
        }
    }
}
