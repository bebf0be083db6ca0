using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pressluft.Messaging.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class OutboxGaveUpAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "gave_up_at",
                table: "outbox_messages",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "gave_up_at",
                table: "outbox_messages");
        }
    }
}
