using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pressluft.Messaging.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SagaCheckedRelease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "current_job_type",
                table: "release_lifecycle_sagas");

            migrationBuilder.DropColumn(
                name: "deadline_at",
                table: "release_lifecycle_sagas");

            migrationBuilder.AddColumn<Guid>(
                name: "checked_release_id",
                table: "release_lifecycle_sagas",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "checked_release_path",
                table: "release_lifecycle_sagas",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            // Gates in flight when this migration runs: the release their current check looks at.
            migrationBuilder.Sql(
                "UPDATE release_lifecycle_sagas SET checked_release_id = release_id, checked_release_path = release_path WHERE current_state = 'HealthChecking';");
            migrationBuilder.Sql(
                "UPDATE release_lifecycle_sagas SET checked_release_id = rollback_target_id, checked_release_path = rollback_target_path WHERE current_state = 'VerifyingRollback';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "checked_release_id",
                table: "release_lifecycle_sagas");

            migrationBuilder.DropColumn(
                name: "checked_release_path",
                table: "release_lifecycle_sagas");

            migrationBuilder.AddColumn<string>(
                name: "current_job_type",
                table: "release_lifecycle_sagas",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "deadline_at",
                table: "release_lifecycle_sagas",
                type: "timestamp with time zone",
                nullable: true);
        }
    }
}
