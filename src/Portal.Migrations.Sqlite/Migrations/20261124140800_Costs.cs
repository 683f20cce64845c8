using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Costs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "budget_alerts",
                columns: table => new
                {
                    TeamId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Scope = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Month = table.Column<string>(type: "TEXT", maxLength: 7, nullable: false),
                    NotifiedThresholds = table.Column<string>(type: "TEXT", nullable: false),
                    ForecastOverrunNotified = table.Column<bool>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_budget_alerts", x => new { x.TeamId, x.Scope, x.Month });
                    table.ForeignKey(
                        name: "FK_budget_alerts_teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "budget_notifications",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    TeamId = table.Column<Guid>(type: "TEXT", nullable: false),
                    PayloadJson = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: false),
                    DeliveredAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    Done = table.Column<bool>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_budget_notifications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_budget_notifications_teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "cost_lines",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    HourUnixMs = table.Column<long>(type: "INTEGER", nullable: false),
                    TeamId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Team = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Environment = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ClusterId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Cluster = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    NodePool = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Endpoint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Category = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    InstanceType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CapacityType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    Quantity = table.Column<decimal>(type: "TEXT", precision: 28, scale: 10, nullable: false),
                    Unit = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Amount = table.Column<decimal>(type: "TEXT", precision: 28, scale: 10, nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    PriceSource = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    PriceAsOf = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Estimated = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_cost_lines", x => x.Id);
                    table.ForeignKey(
                        name: "FK_cost_lines_teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "metering_watermarks",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    LastMeteredHourUnixMs = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_metering_watermarks", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "price_tables",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Region = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    AsOf = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    Format = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Raw = table.Column<string>(type: "TEXT", nullable: false),
                    ParsedJson = table.Column<string>(type: "TEXT", nullable: false),
                    UploadedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: false),
                    UploadedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_price_tables", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "team_budgets",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TeamId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MonthlyLimit = table.Column<decimal>(type: "TEXT", precision: 18, scale: 2, nullable: true),
                    EnvironmentLimits = table.Column<string>(type: "TEXT", nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    ThresholdsPercent = table.Column<string>(type: "TEXT", nullable: false),
                    WebhookUrl = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    WebhookSecret = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_team_budgets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_team_budgets_teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_budget_notifications_Done",
                table: "budget_notifications",
                column: "Done");

            migrationBuilder.CreateIndex(
                name: "IX_budget_notifications_TeamId",
                table: "budget_notifications",
                column: "TeamId");

            migrationBuilder.CreateIndex(
                name: "IX_cost_lines_HourUnixMs_ClusterId",
                table: "cost_lines",
                columns: new[] { "HourUnixMs", "ClusterId" });

            migrationBuilder.CreateIndex(
                name: "IX_cost_lines_TeamId_HourUnixMs",
                table: "cost_lines",
                columns: new[] { "TeamId", "HourUnixMs" });

            migrationBuilder.CreateIndex(
                name: "IX_price_tables_Region",
                table: "price_tables",
                column: "Region",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_team_budgets_TeamId",
                table: "team_budgets",
                column: "TeamId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "budget_alerts");

            migrationBuilder.DropTable(
                name: "budget_notifications");

            migrationBuilder.DropTable(
                name: "cost_lines");

            migrationBuilder.DropTable(
                name: "metering_watermarks");

            migrationBuilder.DropTable(
                name: "price_tables");

            migrationBuilder.DropTable(
                name: "team_budgets");
        }
    }
}
