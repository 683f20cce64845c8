using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class IdempotencyExpiry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ExpiresAtUnixMs",
                table: "idempotency_records",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // Keys stored before this migration keep their expiry (the scaffold would drop it, and retries within
            // the next day would run twice).
            migrationBuilder.Sql("""UPDATE idempotency_records SET "ExpiresAtUnixMs" = (extract(epoch from "ExpiresAt") * 1000)::bigint;""");

            migrationBuilder.DropColumn(
                name: "ExpiresAt",
                table: "idempotency_records");

            migrationBuilder.CreateIndex(
                name: "IX_idempotency_records_ExpiresAtUnixMs",
                table: "idempotency_records",
                column: "ExpiresAtUnixMs");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_idempotency_records_ExpiresAtUnixMs",
                table: "idempotency_records");

            migrationBuilder.DropColumn(
                name: "ExpiresAtUnixMs",
                table: "idempotency_records");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ExpiresAt",
                table: "idempotency_records",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));
        }
    }
}
