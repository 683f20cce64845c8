using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Portal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Clusters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "clusters",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TeamId = table.Column<Guid>(type: "uuid", nullable: false),
                    EnvironmentId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    EksName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    KubernetesVersion = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    EndpointAccess = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Tags = table.Column<string>(type: "text", nullable: false),
                    Generation = table.Column<long>(type: "bigint", nullable: false),
                    DeletionRequestedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Phase = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ObservedGeneration = table.Column<long>(type: "bigint", nullable: false),
                    Conditions = table.Column<string>(type: "text", nullable: false),
                    Message = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    LastError = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    KubernetesEndpoint = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    CertificateAuthority = table.Column<string>(type: "text", nullable: true),
                    CurrentVersion = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    EksArn = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    LeaseOwner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LeaseUntilUnixMs = table.Column<long>(type: "bigint", nullable: false),
                    NextAttemptAtUnixMs = table.Column<long>(type: "bigint", nullable: false),
                    Attempt = table.Column<int>(type: "integer", nullable: false),
                    ProtectedKubeconfig = table.Column<byte[]>(type: "bytea", nullable: true),
                    CreatedByUserId = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_clusters", x => x.Id);
                    table.ForeignKey(
                        name: "FK_clusters_environments_EnvironmentId",
                        column: x => x.EnvironmentId,
                        principalTable: "environments",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_clusters_teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "resource_events",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TeamId = table.Column<Guid>(type: "uuid", nullable: false),
                    ResourceType = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ResourceId = table.Column<Guid>(type: "uuid", nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Step = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Outcome = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Message = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resource_events", x => x.Id);
                    table.ForeignKey(
                        name: "FK_resource_events_teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "node_pools",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ClusterId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    InstanceTypes = table.Column<string>(type: "text", nullable: false),
                    CapacityType = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    MinSize = table.Column<int>(type: "integer", nullable: false),
                    DesiredSize = table.Column<int>(type: "integer", nullable: false),
                    MaxSize = table.Column<int>(type: "integer", nullable: false),
                    DiskSizeGiB = table.Column<int>(type: "integer", nullable: false),
                    Labels = table.Column<string>(type: "text", nullable: false),
                    Taints = table.Column<string>(type: "text", nullable: false),
                    AmiType = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    IsGpu = table.Column<bool>(type: "boolean", nullable: false),
                    ObservedStatus = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    CurrentVersion = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    NodegroupArn = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    StatusMessage = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_node_pools", x => x.Id);
                    table.ForeignKey(
                        name: "FK_node_pools_clusters_ClusterId",
                        column: x => x.ClusterId,
                        principalTable: "clusters",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_clusters_EnvironmentId",
                table: "clusters",
                column: "EnvironmentId");

            migrationBuilder.CreateIndex(
                name: "IX_clusters_NextAttemptAtUnixMs",
                table: "clusters",
                column: "NextAttemptAtUnixMs");

            migrationBuilder.CreateIndex(
                name: "IX_clusters_TeamId_Name",
                table: "clusters",
                columns: new[] { "TeamId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_node_pools_ClusterId_Name",
                table: "node_pools",
                columns: new[] { "ClusterId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_resource_events_ResourceType_ResourceId_Id",
                table: "resource_events",
                columns: new[] { "ResourceType", "ResourceId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_resource_events_TeamId",
                table: "resource_events",
                column: "TeamId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "node_pools");

            migrationBuilder.DropTable(
                name: "resource_events");

            migrationBuilder.DropTable(
                name: "clusters");
        }
    }
}
