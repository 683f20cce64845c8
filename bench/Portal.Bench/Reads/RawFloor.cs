using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Api.Addons;
using Portal.Api.Catalog;
using Portal.Api.Clusters;
using Portal.Api.Infrastructure;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Core.Common;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;
using Portal.Testing;

namespace Portal.Bench.Reads;

/// <summary>
/// The floor the read API is compared with: a minimal Kestrel app that answers the same four reads by reading the
/// same rows with raw Npgsql (one hand-written SQL statement per table touched) and writing the same JSON (the API's
/// own response records and serializer options). No authentication, no EF, no middleware: what the hardware allows.
/// </summary>
public sealed class RawFloor : IAsyncDisposable
{
    private static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private readonly WebApplication _app;
    private readonly NpgsqlDataSource _data;
    private readonly AddonCatalog _catalog;
    private readonly JsonSerializerOptions _wire = new();

    private RawFloor(WebApplication app, NpgsqlDataSource data, AddonCatalog catalog)
    {
        _app = app;
        _data = data;
        _catalog = catalog;
        ApiJson.Configure(_wire);
    }

    public string BaseUrl { get; private set; } = "";

    public static async Task<RawFloor> StartAsync(string connectionString, AddonCatalog catalog, CancellationToken ct)
    {
        var port = PostgresServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var floor = new RawFloor(builder.Build(), NpgsqlDataSource.Create(connectionString), catalog) { BaseUrl = $"http://127.0.0.1:{port}" };
        floor.Map();
        await floor._app.StartAsync(ct);
        return floor;
    }

    private void Map()
    {
        _app.MapGet("/teams/{team}/clusters", async (HttpContext http, string team, int? limit) =>
        {
            var take = Cursor.ClampLimit(limit);
            var views = await ClustersAsync(team, null, take + 1, http.RequestAborted);
            var page = Cursor.ToPage(views, take, v => v.Cluster.Name);
            var next = page.NextCursor is null ? null : $"{http.Request.Path}?limit={take}&cursor={Uri.EscapeDataString(page.NextCursor)}";
            await WriteAsync(http, new PageResponse<ClusterResponse>(page.Items.Select(v => ClusterResponse.From(v, DateTimeOffset.UtcNow)).ToList(), next));
        });
        _app.MapGet("/teams/{team}/clusters/{cluster}", async (HttpContext http, string team, string cluster) =>
        {
            var views = await ClustersAsync(team, cluster, 1, http.RequestAborted);
            if (views.Count == 0) http.Response.StatusCode = StatusCodes.Status404NotFound;
            else await WriteAsync(http, ClusterResponse.From(views[0], DateTimeOffset.UtcNow));
        });
        _app.MapGet("/teams/{team}/clusters/{cluster}/addons", async (HttpContext http, string team, string cluster, int? limit) =>
        {
            var take = Cursor.ClampLimit(limit);
            var rows = await AddonsAsync(team, cluster, take + 1, http.RequestAborted);
            var page = Cursor.ToPage(rows, take, v => v.Installation.AddonId);
            await WriteAsync(http, new PageResponse<AddonResponse>(page.Items.Select(AddonResponse.From).ToList(), null));
        });
        _app.MapGet("/catalog", async (HttpContext http, string team, string cluster) =>
        {
            var facts = await FactsAsync(team, cluster, http.RequestAborted);
            var entries = _catalog.Entries.Select(e => CatalogEntryResponse.From(e, v => AddonEligibility.Check(_catalog, e, v, facts with
            {
                Installed = facts.Installed.Where(i => i.Key != e.Id).ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal),
            }))).ToList();
            await WriteAsync(http, new CatalogListResponse(entries));
        });
    }

    private Task WriteAsync<T>(HttpContext http, T value)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(http.Response.Body, value, _wire, http.RequestAborted);
    }

    private async Task<List<ClusterView>> ClustersAsync(string team, string? name, int limit, CancellationToken ct)
    {
        await using var connection = await _data.OpenConnectionAsync(ct);
        var views = new List<ClusterView>();
        await using (var command = new NpgsqlCommand("""
            SELECT c."Id", c."Name", c."EksName", c."Kind", c."KubernetesVersion", c."EndpointAccess", c."Tags", c."Generation",
                   c."DeletionRequestedAt", c."Phase", c."ObservedGeneration", c."Conditions", c."Message", c."LastError",
                   c."KubernetesEndpoint", c."CurrentVersion", c."EksArn", c."CreatedAt", c."UpdatedAt", c."Version", e."Name"
            FROM clusters c JOIN teams t ON t."Id" = c."TeamId" JOIN environments e ON e."Id" = c."EnvironmentId"
            WHERE t."Slug" = $1 AND ($2::text IS NULL OR c."Name" = $2)
            ORDER BY c."Name" LIMIT $3
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = team });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)name ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var cluster = new Cluster
                {
                    Id = reader.GetGuid(0), Name = reader.GetString(1), EksName = reader.GetString(2), Kind = Enum.Parse<ClusterKind>(reader.GetString(3)),
                    KubernetesVersion = reader.GetString(4), EndpointAccess = Enum.Parse<EndpointAccess>(reader.GetString(5)),
                    Tags = Json<Dictionary<string, string>>(reader.GetString(6)), Generation = reader.GetInt64(7),
                    DeletionRequestedAt = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                    Phase = Enum.Parse<ClusterPhase>(reader.GetString(9)), ObservedGeneration = reader.GetInt64(10),
                    Conditions = Json<List<ClusterCondition>>(reader.GetString(11)), Message = Text(reader, 12), LastError = Text(reader, 13),
                    KubernetesEndpoint = Text(reader, 14), CurrentVersion = Text(reader, 15), EksArn = Text(reader, 16),
                    CreatedAt = reader.GetFieldValue<DateTimeOffset>(17), UpdatedAt = reader.GetFieldValue<DateTimeOffset>(18), Version = reader.GetInt64(19),
                };
                views.Add(new ClusterView(cluster, team, Enum.Parse<EnvironmentName>(reader.GetString(20))));
            }
        }
        if (views.Count == 0) return views;
        var byId = views.ToDictionary(v => v.Cluster.Id, v => v.Cluster);
        await using (var pools = new NpgsqlCommand("""
            SELECT "ClusterId", "Name", "InstanceTypes", "CapacityType", "MinSize", "DesiredSize", "MaxSize", "DiskSizeGiB", "Labels", "Taints",
                   "AmiType", "IsGpu", "ObservedStatus", "CurrentVersion", "StatusMessage"
            FROM node_pools WHERE "ClusterId" = ANY($1)
            """, connection))
        {
            pools.Parameters.Add(new NpgsqlParameter { Value = byId.Keys.ToArray() });
            await using var reader = await pools.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                byId[reader.GetGuid(0)].NodePools.Add(new NodePool
                {
                    Name = reader.GetString(1), InstanceTypes = Json<List<string>>(reader.GetString(2)), CapacityType = Enum.Parse<CapacityType>(reader.GetString(3)),
                    MinSize = reader.GetInt32(4), DesiredSize = reader.GetInt32(5), MaxSize = reader.GetInt32(6), DiskSizeGiB = reader.GetInt32(7),
                    Labels = Json<Dictionary<string, string>>(reader.GetString(8)), Taints = Json<List<NodeTaint>>(reader.GetString(9)),
                    AmiType = reader.GetString(10), IsGpu = reader.GetBoolean(11), ObservedStatus = Text(reader, 12), CurrentVersion = Text(reader, 13),
                    StatusMessage = Text(reader, 14),
                });
            }
        }
        return views;
    }

    private async Task<List<AddonInstallationView>> AddonsAsync(string team, string cluster, int limit, CancellationToken ct)
    {
        await using var connection = await _data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT a."AddonId", a."CatalogVersion", a."ValuesJson", a."Generation", a."UninstallRequestedAt", a."Phase", a."ObservedGeneration",
                   a."SyncStatus", a."HealthStatus", a."Message", a."LastError", a."Conditions", a."CreatedAt", a."UpdatedAt", a."Version", e."Name"
            FROM teams t JOIN clusters c ON c."TeamId" = t."Id" AND c."Name" = $2 JOIN environments e ON e."Id" = c."EnvironmentId"
                 JOIN addon_installations a ON a."ClusterId" = c."Id"
            WHERE t."Slug" = $1 ORDER BY a."AddonId" LIMIT $3
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = team });
        command.Parameters.Add(new NpgsqlParameter { Value = cluster });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<AddonInstallationView>();
        while (await reader.ReadAsync(ct))
        {
            var addon = new AddonInstallation
            {
                AddonId = reader.GetString(0), CatalogVersion = reader.GetString(1), ValuesJson = reader.GetString(2), Generation = reader.GetInt64(3),
                UninstallRequestedAt = reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), Phase = Enum.Parse<AddonPhase>(reader.GetString(5)),
                ObservedGeneration = reader.GetInt64(6), SyncStatus = Text(reader, 7), HealthStatus = Text(reader, 8), Message = Text(reader, 9),
                LastError = Text(reader, 10), Conditions = Json<List<AddonCondition>>(reader.GetString(11)),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(12), UpdatedAt = reader.GetFieldValue<DateTimeOffset>(13), Version = reader.GetInt64(14),
            };
            rows.Add(new AddonInstallationView(addon, team, cluster, Enum.Parse<EnvironmentName>(reader.GetString(15))));
        }
        return rows;
    }

    private async Task<ClusterFacts> FactsAsync(string team, string cluster, CancellationToken ct)
    {
        await using var connection = await _data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT c."Id", t."Id", coalesce(c."CurrentVersion", c."KubernetesVersion"), e."Name"
            FROM teams t JOIN clusters c ON c."TeamId" = t."Id" AND c."Name" = $2 JOIN environments e ON e."Id" = c."EnvironmentId"
            WHERE t."Slug" = $1;
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = team });
        command.Parameters.Add(new NpgsqlParameter { Value = cluster });
        Guid clusterId, teamId;
        string version;
        EnvironmentName environment;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) throw new NotFoundException("Cluster", $"{team}/{cluster}");
            (clusterId, teamId, version, environment) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), Enum.Parse<EnvironmentName>(reader.GetString(3)));
        }
        var installed = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var addons = new NpgsqlCommand("""SELECT "AddonId", "CatalogVersion" FROM addon_installations WHERE "ClusterId" = $1""", connection))
        {
            addons.Parameters.Add(new NpgsqlParameter { Value = clusterId });
            await using var reader = await addons.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) installed[reader.GetString(0)] = reader.GetString(1);
        }
        var overrides = new HashSet<string>(StringComparer.Ordinal);
        await using (var rows = new NpgsqlCommand("""SELECT "AddonId" FROM maturity_overrides WHERE "TeamId" = $1""", connection))
        {
            rows.Parameters.Add(new NpgsqlParameter { Value = teamId });
            await using var reader = await rows.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) overrides.Add(reader.GetString(0));
        }
        KubernetesVersion.TryParse(version, out var kubernetes);
        return new ClusterFacts(environment, kubernetes, installed, overrides);
    }

    private static T Json<T>(string text) => JsonSerializer.Deserialize<T>(text, StoredJson)!;

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _data.DisposeAsync();
    }
}
