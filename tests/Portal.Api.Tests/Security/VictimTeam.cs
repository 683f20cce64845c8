using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Clusters;

namespace Portal.Api.Tests.Security;

/// <summary>
/// A team with one of everything, made through the API (clusters marked Ready in the database, as a reconciler would
/// leave them): two environments, a managed and an attached cluster, an add-on, an inference endpoint, a group
/// mapping, a budget with a webhook, a maturity override. Its people: owner, maintainer, viewer; around it an
/// outsider (owner of another team) and a platform admin. Every id, name and secret it holds is a <see cref="Markers"/>
/// entry that no caller outside the team may ever see.
/// </summary>
public sealed record VictimTeam(
    string Slug,
    Guid TeamId,
    TestUser Owner,
    TestUser Maintainer,
    TestUser Viewer,
    TestUser Outsider,
    TestUser Admin,
    Guid OwnerTokenId,
    Guid GroupMappingId,
    IReadOnlyList<string> Markers)
{
    public const string ManagedCluster = "vmain";
    public const string AttachedCluster = "vattach";
    public const string Addon = "tracker";
    public const string Endpoint = "vserve";

    public string Url => $"/api/v1/teams/{Slug}";

    public static async Task<VictimTeam> CreateAsync(ApiFactory api)
    {
        var unique = Guid.NewGuid().ToString("N");
        var owner = await api.CreateUserAsync("vowner");
        var maintainer = await api.CreateUserAsync("vmaint");
        var viewer = await api.CreateUserAsync("vviewer");
        var outsider = await api.CreateUserAsync("outsider");
        var admin = await api.CreateUserAsync("admin", admin: true);
        var slug = Names.Slug("victim");
        var displayName = $"Victim {unique[..12]}";
        var team = await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName, description = $"desc-{unique[..10]}" }))
            .ExpectAsync(HttpStatusCode.Created);
        await (await outsider.Client.PostJsonAsync("/api/v1/teams", new { slug = Names.Slug("attacker"), displayName = "Attacker" }))
            .ExpectAsync(HttpStatusCode.Created);
        var url = $"/api/v1/teams/{slug}";
        await (await owner.Client.PostJsonAsync($"{url}/members", new { email = maintainer.Email, role = "maintainer" })).ExpectAsync(HttpStatusCode.Created);
        await (await owner.Client.PostJsonAsync($"{url}/members", new { email = viewer.Email, role = "viewer" })).ExpectAsync(HttpStatusCode.Created);

        var account = "7" + Random.Shared.NextInt64(10_000_000_000, 99_999_999_999).ToString();
        var externalIds = new List<string>();
        foreach (var env in new[] { "dev", "staging" })
        {
            var created = await (await owner.Client.PostJsonAsync($"{url}/environments", new
            {
                name = env, awsAccountId = account, region = "us-east-1", provisionerRoleArn = $"arn:aws:iam::{account}:role/victim-provisioner",
            })).ExpectAsync(HttpStatusCode.Created);
            externalIds.Add((string)created["externalId"]!);
        }
        var group = $"grp-{unique[..12]}";
        var mapping = await (await owner.Client.PostJsonAsync($"{url}/group-mappings", new { group, role = "viewer" })).ExpectAsync(HttpStatusCode.Created);

        await (await maintainer.Client.PostJsonAsync($"{url}/clusters", new
        {
            name = ManagedCluster, environment = "dev", kubernetesVersion = "1.32",
            nodePools = new[] { new { name = "general", instanceTypes = new[] { "m5.large" }, minSize = 1, desiredSize = 1, maxSize = 2 } },
        })).ExpectAsync(HttpStatusCode.Accepted);
        var kubeconfigToken = $"kc-secret-{unique}";
        await (await maintainer.Client.PostJsonAsync($"{url}/clusters:attach", new
        {
            name = AttachedCluster, environment = "staging", kubernetesVersion = "1.32", kubeconfig = Kubeconfig(kubeconfigToken),
        })).ExpectAsync(HttpStatusCode.Accepted);
        var eksEndpoint = $"https://{unique[..16]}.gr7.us-east-1.eks.amazonaws.com";
        await using (var db = api.Db())
        {
            await db.Clusters.Where(c => c.Name == ManagedCluster && db.Teams.Any(t => t.Id == c.TeamId && t.Slug == slug))
                .ExecuteUpdateAsync(u => u
                    .SetProperty(c => c.Phase, ClusterPhase.Ready)
                    .SetProperty(c => c.CurrentVersion, "1.32")
                    .SetProperty(c => c.ObservedGeneration, 1)
                    .SetProperty(c => c.KubernetesEndpoint, eksEndpoint)
                    .SetProperty(c => c.CertificateAuthority, "Q0E="));
        }

        await (await maintainer.Client.PostJsonAsync($"{url}/clusters/{ManagedCluster}/addons", new { addonId = Addon, version = "1.0.0" }))
            .ExpectAsync(HttpStatusCode.Accepted);
        await (await maintainer.Client.PostJsonAsync($"{url}/clusters/{AttachedCluster}/endpoints", EndpointSpec())).ExpectAsync(HttpStatusCode.Accepted);
        var webhook = $"https://hook-user:hook-pass-{unique[..10]}@hooks.example.test/budget?token=wh-{unique[..12]}";
        await (await owner.Client.SendJsonAsync(HttpMethod.Put, $"{url}/budget",
            System.Text.Json.JsonSerializer.Serialize(new { monthlyLimit = 500, webhookUrl = webhook, webhookSecret = $"whsec-{unique}" }, Http.Web)))
            .ExpectAsync(HttpStatusCode.OK);
        var overrideReason = $"reason-{unique[..12]}";
        await (await admin.Client.PostJsonAsync($"/api/v1/admin/teams/{slug}/maturity-overrides", new { addonId = Addon, reason = overrideReason }))
            .ExpectAsync(HttpStatusCode.Created);

        await using var read = api.Db();
        var teamId = await read.Teams.Where(t => t.Slug == slug).Select(t => t.Id).SingleAsync();
        var ownerTokenId = await read.ApiTokens.Where(t => t.UserId == owner.Id).Select(t => t.Id).FirstAsync();
        var clusterIds = await read.Clusters.Where(c => c.TeamId == teamId).Select(c => c.Id.ToString()).ToListAsync();
        var addonIds = await read.AddonInstallations.Where(a => a.TeamId == teamId).Select(a => a.Id.ToString()).ToListAsync();
        var endpointIds = await read.InferenceEndpoints.Where(e => e.TeamId == teamId).Select(e => e.Id.ToString()).ToListAsync();
        var eksNames = await read.Clusters.Where(c => c.TeamId == teamId && c.EksName != "").Select(c => c.EksName).ToListAsync();

        List<string> markers =
        [
            slug, teamId.ToString(), displayName, $"desc-{unique[..10]}", account, group, (string)mapping["id"]!,
            owner.Email, maintainer.Email, viewer.Email, owner.Id.ToString(), maintainer.Id.ToString(), viewer.Id.ToString(),
            ownerTokenId.ToString(), kubeconfigToken, eksEndpoint, webhook, "hook-pass-" + unique[..10], "wh-" + unique[..12], $"whsec-{unique}",
            overrideReason, VictimTeam.ManagedCluster, VictimTeam.AttachedCluster, VictimTeam.Endpoint,
            .. externalIds, .. clusterIds, .. addonIds, .. endpointIds, .. eksNames,
        ];
        return new VictimTeam(slug, teamId, owner, maintainer, viewer, outsider, admin, ownerTokenId, Guid.Parse((string)mapping["id"]!), markers);
    }

    public static string Kubeconfig(string token) => $$"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: onprem
          cluster: {server: "https://k8s.victim.example.test:6443", certificate-authority-data: Q0E=}
        contexts:
        - name: onprem
          context: {cluster: onprem, user: admin}
        current-context: onprem
        users:
        - name: admin
          user: {token: {{token}}}
        """;

    public static JsonObject EndpointSpec(string name = Endpoint) => new()
    {
        ["name"] = name,
        ["runtime"] = "triton",
        ["model"] = new JsonObject { ["uri"] = "s3://acme-models/vision/resnet", ["name"] = "resnet", ["version"] = "3" },
        ["protocol"] = "grpc",
        ["gpu"] = new JsonObject { ["type"] = "L4", ["count"] = 1 },
        ["resources"] = new JsonObject { ["cpu"] = "3", ["memory"] = "12Gi" },
        ["autoscaling"] = new JsonObject
        {
            ["minReplicas"] = 0,
            ["maxReplicas"] = 4,
            ["triggers"] = new JsonArray(new JsonObject
            {
                ["kind"] = "prometheus", ["threshold"] = 10, ["activationThreshold"] = 1, ["query"] = "sum(inference_queue_depth{queue=\"resnet\"})",
            }),
        },
    };
}
