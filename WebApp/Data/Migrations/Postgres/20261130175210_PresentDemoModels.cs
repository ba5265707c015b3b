using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WebGen.WebApp.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PresentDemoModels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "IsDemo",
                table: "Runs",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "IsDemo",
                table: "Runs");
        }
    }
}
