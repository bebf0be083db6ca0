using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pressluft.Messaging.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SagaDeadlineId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "deadline_id",
                table: "release_lifecycle_sagas",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_message_id",
                table: "outbox_messages",
                column: "message_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_message_id",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "deadline_id",
                table: "release_lifecycle_sagas");
        }
    }
}
