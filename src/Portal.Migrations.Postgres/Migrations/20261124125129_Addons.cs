using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Addons : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "addon_installations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TeamId = table.Column<Guid>(type: "uuid", nullable: false),
                    ClusterId = table.Column<Guid>(type: "uuid", nullable: false),
                    AddonId = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    CatalogVersion = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ValuesJson = table.Column<string>(type: "text", nullable: false),
                    Generation = table.Column<long>(type: "bigint", nullable: false),
                    UninstallRequestedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Phase = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ObservedGeneration = table.Column<long>(type: "bigint", nullable: false),
                    SyncStatus = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    HealthStatus = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    Message = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    LastError = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    Conditions = table.Column<string>(type: "text", nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LeaseUntilUnixMs = table.Column<long>(type: "bigint", nullable: false),
                    NextAttemptAtUnixMs = table.Column<long>(type: "bigint", nullable: false),
                    Attempt = table.Column<int>(type: "integer", nullable: false),
                    CreatedByUserId = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_addon_installations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_addon_installations_clusters_ClusterId",
                        column: x => x.ClusterId,
                        principalTable: "clusters",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_addon_installations_teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "maturity_overrides",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TeamId = table.Column<Guid>(type: "uuid", nullable: false),
                    AddonId = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    Reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    CreatedByUserId = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_maturity_overrides", x => x.Id);
                    table.ForeignKey(
                        name: "FK_maturity_overrides_teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_addon_installations_ClusterId_AddonId",
                table: "addon_installations",
                columns: new[] { "ClusterId", "AddonId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_addon_installations_NextAttemptAtUnixMs",
                table: "addon_installations",
                column: "NextAttemptAtUnixMs");

            migrationBuilder.CreateIndex(
                name: "IX_addon_installations_TeamId",
                table: "addon_installations",
                column: "TeamId");

            migrationBuilder.CreateIndex(
                name: "IX_maturity_overrides_TeamId_AddonId",
                table: "maturity_overrides",
                columns: new[] { "TeamId", "AddonId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "addon_installations");

            migrationBuilder.DropTable(
                name: "maturity_overrides");
        }
    }
}
