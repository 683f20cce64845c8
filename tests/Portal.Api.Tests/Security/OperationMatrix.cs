using System.Text.Json.Nodes;

namespace Portal.Api.Tests.Security;

/// <summary>Who may call an operation, which decides what each kind of caller must get.</summary>
public enum AccessClass
{
    /// <summary>Reads a team's things: any member (and platform admins); everyone else gets 404.</summary>
    TeamRead,
    /// <summary>Changes a team's resources: maintainers and owners, with the write scope.</summary>
    TeamWrite,
    /// <summary>Changes the team itself, its members, environments and mappings: owners, with the write scope.</summary>
    TeamManage,
    /// <summary>Reads what only owners may read (the team's audit log): the owner role but only the read scope.</summary>
    TeamOwnerRead,
    /// <summary>Platform admins with the admin scope; everyone else 403, whatever their team.</summary>
    AdminRead,
    AdminWrite,
    /// <summary>About the caller themself (me, their tokens, the catalogue, their own teams' costs): every signed-in caller.</summary>
    SignedInRead,
    /// <summary>Creates something of the caller's own (a team, a token): the write scope.</summary>
    SignedInWrite,
    /// <summary>One of the caller's own tokens by id: another user's token does not exist for them (404).</summary>
    OwnTokenRead,
    OwnTokenWrite,
}

/// <summary>How to call one operation against the victim team: a path naming its real resources, and a valid body.</summary>
public sealed record Probe(AccessClass Access, Func<VictimTeam, string> Path, Func<VictimTeam, JsonNode?>? Body = null, string ContentType = "application/json")
{
    public bool IsWrite => Access is AccessClass.TeamWrite or AccessClass.TeamManage or AccessClass.AdminWrite
        or AccessClass.SignedInWrite or AccessClass.OwnTokenWrite;
}

/// <summary>
/// Every operation of the OpenAPI document, keyed "METHOD template", with how to call it and its access class. The
/// isolation suite fails when the document has an operation this table lacks (or the table one the document lost),
/// so a new endpoint cannot ship without saying who may call it.
/// </summary>
public static class OperationMatrix
{
    private static JsonNode Json(object value) => JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(value, Http.Web))!;

    private static string Cluster(VictimTeam v) => $"{v.Url}/clusters/{VictimTeam.ManagedCluster}";
    private static string Attached(VictimTeam v) => $"{v.Url}/clusters/{VictimTeam.AttachedCluster}";

    public static readonly IReadOnlyDictionary<string, Probe> Operations = new Dictionary<string, Probe>
    {
        ["GET /api/v1/me"] = new(AccessClass.SignedInRead, _ => "/api/v1/me"),

        ["GET /api/v1/teams"] = new(AccessClass.SignedInRead, _ => "/api/v1/teams"),
        ["POST /api/v1/teams"] = new(AccessClass.SignedInWrite, _ => "/api/v1/teams", _ => Json(new { slug = Names.Slug("probe"), displayName = "Probe" })),
        ["GET /api/v1/teams/{team}"] = new(AccessClass.TeamRead, v => v.Url),
        ["PATCH /api/v1/teams/{team}"] = new(AccessClass.TeamManage, v => v.Url, _ => Json(new { displayName = "Taken over" })),
        ["DELETE /api/v1/teams/{team}"] = new(AccessClass.TeamManage, v => v.Url),

        ["GET /api/v1/teams/{team}/members"] = new(AccessClass.TeamRead, v => $"{v.Url}/members"),
        ["POST /api/v1/teams/{team}/members"] = new(AccessClass.TeamManage, v => $"{v.Url}/members", v => Json(new { email = v.Outsider.Email, role = "owner" })),
        ["GET /api/v1/teams/{team}/members/{userId}"] = new(AccessClass.TeamRead, v => $"{v.Url}/members/{v.Viewer.Id}"),
        ["PATCH /api/v1/teams/{team}/members/{userId}"] = new(AccessClass.TeamManage, v => $"{v.Url}/members/{v.Viewer.Id}", _ => Json(new { role = "owner" })),
        ["DELETE /api/v1/teams/{team}/members/{userId}"] = new(AccessClass.TeamManage, v => $"{v.Url}/members/{v.Viewer.Id}"),

        ["GET /api/v1/teams/{team}/group-mappings"] = new(AccessClass.TeamRead, v => $"{v.Url}/group-mappings"),
        ["POST /api/v1/teams/{team}/group-mappings"] = new(AccessClass.TeamManage, v => $"{v.Url}/group-mappings", _ => Json(new { group = "attackers", role = "owner" })),
        ["GET /api/v1/teams/{team}/group-mappings/{id}"] = new(AccessClass.TeamRead, v => $"{v.Url}/group-mappings/{v.GroupMappingId}"),
        ["DELETE /api/v1/teams/{team}/group-mappings/{id}"] = new(AccessClass.TeamManage, v => $"{v.Url}/group-mappings/{v.GroupMappingId}"),

        ["GET /api/v1/teams/{team}/environments"] = new(AccessClass.TeamRead, v => $"{v.Url}/environments"),
        ["POST /api/v1/teams/{team}/environments"] = new(AccessClass.TeamManage, v => $"{v.Url}/environments", _ => Json(new
        {
            name = "prod", awsAccountId = "999988887777", region = "us-east-1", provisionerRoleArn = "arn:aws:iam::999988887777:role/attacker",
        })),
        ["GET /api/v1/teams/{team}/environments/{env}"] = new(AccessClass.TeamRead, v => $"{v.Url}/environments/dev"),
        ["PATCH /api/v1/teams/{team}/environments/{env}"] = new(AccessClass.TeamManage, v => $"{v.Url}/environments/dev",
            _ => Json(new { provisionerRoleArn = "arn:aws:iam::999988887777:role/attacker" })),
        ["DELETE /api/v1/teams/{team}/environments/{env}"] = new(AccessClass.TeamManage, v => $"{v.Url}/environments/dev"),

        ["GET /api/v1/tokens"] = new(AccessClass.SignedInRead, _ => "/api/v1/tokens"),
        ["POST /api/v1/tokens"] = new(AccessClass.SignedInWrite, _ => "/api/v1/tokens", _ => Json(new { name = "probe", scopes = new[] { "read" } })),
        ["GET /api/v1/tokens/{id}"] = new(AccessClass.OwnTokenRead, v => $"/api/v1/tokens/{v.OwnerTokenId}"),
        ["DELETE /api/v1/tokens/{id}"] = new(AccessClass.OwnTokenWrite, v => $"/api/v1/tokens/{v.OwnerTokenId}"),

        ["GET /api/v1/audit"] = new(AccessClass.TeamOwnerRead, v => $"/api/v1/audit?team={v.Slug}"),

        ["GET /api/v1/teams/{team}/clusters"] = new(AccessClass.TeamRead, v => $"{v.Url}/clusters"),
        ["POST /api/v1/teams/{team}/clusters"] = new(AccessClass.TeamWrite, v => $"{v.Url}/clusters", _ => Json(new
        {
            name = "intruder", environment = "staging", kubernetesVersion = "1.32",
            nodePools = new[] { new { name = "general", instanceTypes = new[] { "m5.large" }, minSize = 1, desiredSize = 1, maxSize = 2 } },
        })),
        ["GET /api/v1/teams/{team}/clusters/{cluster}"] = new(AccessClass.TeamRead, Cluster),
        ["PATCH /api/v1/teams/{team}/clusters/{cluster}"] = new(AccessClass.TeamWrite, Cluster, _ => Json(new { tags = new { owner = "attacker" } })),
        ["DELETE /api/v1/teams/{team}/clusters/{cluster}"] = new(AccessClass.TeamWrite, Cluster),
        ["POST /api/v1/teams/{team}/clusters/{cluster}:retry"] = new(AccessClass.TeamWrite, v => $"{Cluster(v)}:retry"),
        ["GET /api/v1/teams/{team}/clusters/{cluster}/events"] = new(AccessClass.TeamRead, v => $"{Cluster(v)}/events"),
        ["GET /api/v1/teams/{team}/clusters/{cluster}/kubeconfig"] = new(AccessClass.TeamRead, v => $"{Cluster(v)}/kubeconfig"),
        ["POST /api/v1/teams/{team}/clusters:attach"] = new(AccessClass.TeamWrite, v => $"{v.Url}/clusters:attach",
            _ => Json(new { name = "intruder", environment = "staging", kubeconfig = VictimTeam.Kubeconfig("attacker-token") })),
        ["GET /api/v1/instance-types"] = new(AccessClass.SignedInRead, _ => "/api/v1/instance-types"),

        ["GET /api/v1/costs"] = new(AccessClass.TeamRead, v => $"/api/v1/costs?team={v.Slug}&groupBy=cluster"),
        ["GET /api/v1/costs.csv"] = new(AccessClass.TeamRead, v => $"/api/v1/costs.csv?team={v.Slug}&groupBy=cluster"),
        ["GET /api/v1/teams/{team}/budget"] = new(AccessClass.TeamRead, v => $"{v.Url}/budget"),
        ["GET /api/v1/teams/{team}/costs/hibernation"] = new(AccessClass.TeamRead, v => $"{v.Url}/costs/hibernation"),
        ["POST /api/v1/teams/{team}/clusters/{cluster}/node-pools/{pool}:wake"] = new(AccessClass.TeamWrite, v => $"{Cluster(v)}/node-pools/general:wake", _ => Json(new { })),
        ["PUT /api/v1/teams/{team}/budget"] = new(AccessClass.TeamWrite, v => $"{v.Url}/budget",
            _ => Json(new { monthlyLimit = 1, webhookUrl = "https://attacker.example.test/steal" })),
        ["GET /api/v1/prices"] = new(AccessClass.SignedInRead, _ => "/api/v1/prices"),
        ["POST /api/v1/admin/prices"] = new(AccessClass.AdminWrite, _ => "/api/v1/admin/prices", _ => Json(new
        {
            region = "eu-west-3", asOf = "2026-10-01", source = "probe", currency = "USD",
            prices = new[] { new { kind = "instance", name = "m5.large", unit = "hour", price = 0.001m } },
        })),

        ["GET /api/v1/catalog"] = new(AccessClass.TeamRead, v => $"/api/v1/catalog?team={v.Slug}&cluster={VictimTeam.ManagedCluster}"),
        ["GET /api/v1/catalog/{id}"] = new(AccessClass.TeamRead, v => $"/api/v1/catalog/{VictimTeam.Addon}?team={v.Slug}&cluster={VictimTeam.ManagedCluster}"),

        ["GET /api/v1/teams/{team}/clusters/{cluster}/addons"] = new(AccessClass.TeamRead, v => $"{Cluster(v)}/addons"),
        ["POST /api/v1/teams/{team}/clusters/{cluster}/addons"] = new(AccessClass.TeamWrite, v => $"{Cluster(v)}/addons", _ => Json(new { addonId = "base" })),
        ["GET /api/v1/teams/{team}/clusters/{cluster}/addons/{addon}"] = new(AccessClass.TeamRead, v => $"{Cluster(v)}/addons/{VictimTeam.Addon}"),
        ["PATCH /api/v1/teams/{team}/clusters/{cluster}/addons/{addon}"] = new(AccessClass.TeamWrite, v => $"{Cluster(v)}/addons/{VictimTeam.Addon}",
            _ => Json(new { values = new { tracking = new { replicas = 3 } } })),
        ["DELETE /api/v1/teams/{team}/clusters/{cluster}/addons/{addon}"] = new(AccessClass.TeamWrite, v => $"{Cluster(v)}/addons/{VictimTeam.Addon}"),
        ["GET /api/v1/teams/{team}/clusters/{cluster}/addons/{addon}/events"] = new(AccessClass.TeamRead, v => $"{Cluster(v)}/addons/{VictimTeam.Addon}/events"),
        ["POST /api/v1/teams/{team}/clusters/{cluster}/addons:promote"] = new(AccessClass.TeamWrite,
            v => $"{Attached(v)}/addons:promote?from={VictimTeam.ManagedCluster}"),
        ["GET /api/v1/admin/teams/{team}/maturity-overrides"] = new(AccessClass.AdminRead, v => $"/api/v1/admin/teams/{v.Slug}/maturity-overrides"),
        ["POST /api/v1/admin/teams/{team}/maturity-overrides"] = new(AccessClass.AdminWrite, v => $"/api/v1/admin/teams/{v.Slug}/maturity-overrides",
            _ => Json(new { addonId = "base", reason = "probe" })),
        ["DELETE /api/v1/admin/teams/{team}/maturity-overrides/{addon}"] = new(AccessClass.AdminWrite,
            v => $"/api/v1/admin/teams/{v.Slug}/maturity-overrides/{VictimTeam.Addon}"),

        ["GET /api/v1/teams/{team}/clusters/{cluster}/endpoints"] = new(AccessClass.TeamRead, v => $"{Attached(v)}/endpoints"),
        ["POST /api/v1/teams/{team}/clusters/{cluster}/endpoints"] = new(AccessClass.TeamWrite, v => $"{Attached(v)}/endpoints",
            _ => VictimTeam.EndpointSpec("intruder")),
        ["GET /api/v1/teams/{team}/clusters/{cluster}/endpoints/{name}"] = new(AccessClass.TeamRead, v => $"{Attached(v)}/endpoints/{VictimTeam.Endpoint}"),
        ["PATCH /api/v1/teams/{team}/clusters/{cluster}/endpoints/{name}"] = new(AccessClass.TeamWrite, v => $"{Attached(v)}/endpoints/{VictimTeam.Endpoint}",
            _ => Json(new { autoscaling = new { maxReplicas = 2 } })),
        ["DELETE /api/v1/teams/{team}/clusters/{cluster}/endpoints/{name}"] = new(AccessClass.TeamWrite, v => $"{Attached(v)}/endpoints/{VictimTeam.Endpoint}"),
        ["GET /api/v1/teams/{team}/clusters/{cluster}/endpoints/{name}/events"] = new(AccessClass.TeamRead,
            v => $"{Attached(v)}/endpoints/{VictimTeam.Endpoint}/events"),
        ["GET /api/v1/teams/{team}/clusters/{cluster}/endpoints/{name}/manifests"] = new(AccessClass.TeamRead,
            v => $"{Attached(v)}/endpoints/{VictimTeam.Endpoint}/manifests"),
        ["GET /api/v1/gpu-types"] = new(AccessClass.SignedInRead, _ => "/api/v1/gpu-types"),
    };

    /// <summary>
    /// Second probes of operations whose answer depends on their query: the same operation without the team is about
    /// the caller's own data and must not contain the victim's.
    /// </summary>
    public static readonly IReadOnlyList<(string Operation, Probe Probe)> ExtraProbes =
    [
        ("GET /api/v1/audit", new(AccessClass.SignedInRead, _ => "/api/v1/audit")),
        ("GET /api/v1/costs", new(AccessClass.SignedInRead, _ => "/api/v1/costs?groupBy=cluster")),
        ("GET /api/v1/costs.csv", new(AccessClass.SignedInRead, _ => "/api/v1/costs.csv?groupBy=cluster")),
        ("GET /api/v1/catalog", new(AccessClass.SignedInRead, _ => "/api/v1/catalog")),
        ("GET /api/v1/catalog/{id}", new(AccessClass.SignedInRead, _ => $"/api/v1/catalog/{VictimTeam.Addon}")),
        ("POST /api/v1/teams/{team}/clusters/{cluster}/addons:promote", new(AccessClass.TeamRead,
            v => $"{Attached(v)}/addons:promote?from={VictimTeam.ManagedCluster}&dryRun=true")),
    ];
}
