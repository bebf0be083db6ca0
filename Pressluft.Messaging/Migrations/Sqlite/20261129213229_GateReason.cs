using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pressluft.Messaging.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class GateReason : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "reason",
                table: "gates",
                type: "TEXT",
                maxLength: 4000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "reason",
                table: "gates");
        }
    }
}
