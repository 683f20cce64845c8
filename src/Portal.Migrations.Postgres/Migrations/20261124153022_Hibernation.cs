using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Hibernation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Asleep",
                table: "node_pools",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "RememberedDesiredSize",
                table: "node_pools",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RememberedMaxSize",
                table: "node_pools",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RememberedMinSize",
                table: "node_pools",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Schedule",
                table: "node_pools",
                type: "character varying(400)",
                maxLength: 400,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "WakeUntil",
                table: "node_pools",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "WokenAt",
                table: "node_pools",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Asleep",
                table: "node_pools");

            migrationBuilder.DropColumn(
                name: "RememberedDesiredSize",
                table: "node_pools");

            migrationBuilder.DropColumn(
                name: "RememberedMaxSize",
                table: "node_pools");

            migrationBuilder.DropColumn(
                name: "RememberedMinSize",
                table: "node_pools");

            migrationBuilder.DropColumn(
                name: "Schedule",
                table: "node_pools");

            migrationBuilder.DropColumn(
                name: "WakeUntil",
                table: "node_pools");

            migrationBuilder.DropColumn(
                name: "WokenAt",
                table: "node_pools");
        }
    }
}
