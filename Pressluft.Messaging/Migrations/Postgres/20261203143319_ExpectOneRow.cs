using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pressluft.Messaging.Migrations.Postgres
{
    /// <summary>
    /// <c>pressluft_expect_one_row</c>: the check the commit batch (PostgresCommitBatch) puts after each update and delete
    /// of a tracked row, which a save does by counting rows after it: unless the statement found exactly one row (its key
    /// and concurrency tokens as read), it fails, and with it the batch's whole implicit transaction, with SQLSTATE 40001
    /// and the row's table and key.
    /// </summary>
    public partial class ExpectOneRow : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION pressluft_expect_one_row(matched bigint, row_table text, row_key text) RETURNS boolean
                LANGUAGE plpgsql AS $$
                BEGIN
                    IF matched <> 1 THEN
                        RAISE EXCEPTION 'The % row % was changed or removed by another transaction after it was read', row_table, row_key
                            USING ERRCODE = 'serialization_failure';
                    END IF;
                    RETURN true;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS pressluft_expect_one_row(bigint, text, text);");
        }
    }
}
