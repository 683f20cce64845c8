using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Portal.Api.Tests.Addons;
using Portal.Api.Tests.Security;
using Portal.Core.Clusters;
using Portal.Testing;

namespace Portal.Api.Tests.Conventions;

/// <summary>
/// R3, on PostgreSQL: a burst of identical POSTs with one Idempotency-Key creates exactly one resource and every caller
/// gets the same answer; a burst of PATCHes with one If-Match lets exactly one through and gives the rest 412 problems.
/// Covers every resource kind the API creates with POST and changes with PATCH (teams, clusters, add-on installations,
/// inference endpoints).
/// </summary>
[Trait("Category", "Reliability")]
public sealed class DuplicateRequestTests(AddonApiFactory api) : IClassFixture<AddonApiFactory>
{
    private const int Burst = 100;
    private static readonly int Rounds = Environment.GetEnvironmentVariable("PORTAL_RELIABILITY_LONG") == "1" ? 5 : 1;
    private static readonly ConcurrentDictionary<string, (int Requests, int Created, int Won)> Counts = new();

    private sealed record Kind(string Name, Func<VictimTeam, int, (string Url, JsonObject Body)> Create,
        Func<VictimTeam, int, (string Url, JsonObject Patch)> Patch);

    private static readonly Kind[] Kinds =
    [
        new("team",
            (v, i) => ("/api/v1/teams", new JsonObject { ["slug"] = TeamSlug(v, i), ["displayName"] = "Burst" }),
            (v, i) => ($"/api/v1/teams/{TeamSlug(v, i)}", new JsonObject { ["displayName"] = "Winner" })),
        new("cluster",
            (v, i) => ($"{v.Url}/clusters", new JsonObject
            {
                ["name"] = $"burst{i}", ["environment"] = "prod", ["kubernetesVersion"] = "1.32",
                ["nodePools"] = new JsonArray(new JsonObject
                {
                    ["name"] = "general", ["instanceTypes"] = new JsonArray("m5.large"), ["minSize"] = 1, ["desiredSize"] = 1, ["maxSize"] = 2,
                }),
            }),
            (v, i) => ($"{v.Url}/clusters/burst{i}", new JsonObject { ["tags"] = new JsonObject { ["winner"] = "yes" } })),
        new("add-on installation",
            (v, i) => ($"{v.Url}/clusters/{VictimTeam.ManagedCluster}/addons", new JsonObject { ["addonId"] = "base" }),
            (v, i) => ($"{v.Url}/clusters/{VictimTeam.ManagedCluster}/addons/base",
                new JsonObject { ["values"] = new JsonObject { ["round"] = i } })),
        new("inference endpoint",
            (v, i) => ($"{v.Url}/clusters/{VictimTeam.AttachedCluster}/endpoints", VictimTeam.EndpointSpec($"burst{i}")),
            (v, i) => ($"{v.Url}/clusters/{VictimTeam.AttachedCluster}/endpoints/burst{i}",
                new JsonObject { ["autoscaling"] = new JsonObject { ["maxReplicas"] = 3 } })),
    ];

    private static string TeamSlug(VictimTeam v, int round) => $"{v.Slug[..12]}-r{round}";

    [Fact]
    public async Task BurstsOfDuplicatePostsAndPatches_CreateOnce_AndLetOneWriterWin()
    {
        var victim = await VictimTeam.CreateAsync(api);
        var maintainer = victim.Maintainer.Client;
        await (await victim.Owner.Client.PostJsonAsync($"{victim.Url}/environments", new
        {
            name = "prod", awsAccountId = "123456789012", region = "us-east-1", provisionerRoleArn = "arn:aws:iam::123456789012:role/p",
        })).ExpectAsync(HttpStatusCode.Created);

        for (var round = 0; round < Rounds; round++)
        {
            foreach (var kind in Kinds)
            {
                if (kind.Name == "add-on installation" && round > 0)
                {
                    // One add-on per cluster: later rounds first remove the row the previous round created.
                    await using var db = api.Db();
                    await db.AddonInstallations.Where(a => a.TeamId == victim.TeamId && a.AddonId == "base").ExecuteDeleteAsync();
                }
                if (kind.Name == "cluster" && round > 0)
                {
                    // One cluster per environment: later rounds free prod again.
                    await using var db = api.Db();
                    await db.Clusters.Where(c => c.TeamId == victim.TeamId && c.Name.StartsWith("burst")).ExecuteDeleteAsync();
                }
                var client = kind.Name == "team" ? victim.Owner.Client : maintainer;
                var (url, body) = kind.Create(victim, round);
                await OnePostBurstAsync(kind.Name, client, url, body, () => CountCreatedAsync(kind.Name, victim, round));
                if (kind.Name == "cluster")
                {
                    // The PATCH needs a cluster a worker would have made Ready; none runs in this host.
                    await using var db = api.Db();
                    await db.Clusters.Where(c => c.TeamId == victim.TeamId && c.Name == $"burst{round}")
                        .ExecuteUpdateAsync(u => u.SetProperty(c => c.Phase, ClusterPhase.Ready).SetProperty(c => c.CurrentVersion, "1.32"));
                }
                var (patchUrl, patch) = kind.Patch(victim, round);
                await OnePatchBurstAsync(kind.Name, client, patchUrl, patch);
            }
        }

        ReliabilityReport.Write("R3", $"""
            Bursts of {Burst} concurrent identical requests on PostgreSQL, through the real host (`DuplicateRequestTests`): POSTs with one
            `Idempotency-Key` must create exactly one resource (one row, one audit entry) and give all {Burst} callers the same status
            and byte-identical body; PATCHes with one `If-Match` must let exactly one through and give the other {Burst - 1} a 412 problem.

            {ReliabilityReport.Table(["resource", "rounds", "requests", "created (POST bursts)", "PATCH winners"],
                Counts.OrderBy(c => c.Key).Select(c => (IReadOnlyList<object>)[c.Key, Rounds, c.Value.Requests, c.Value.Created, c.Value.Won]))}
            Total: {Counts.Values.Sum(c => c.Requests)} requests, 0 duplicates, 0 lost updates.
            """);
    }

    private async Task OnePostBurstAsync(string kind, HttpClient client, string url, JsonObject body, Func<Task<int>> countAsync)
    {
        var key = Guid.NewGuid().ToString();
        var json = body.ToJsonString();
        var start = new TaskCompletionSource();
        var calls = Enumerable.Range(0, Burst).Select(async _ =>
        {
            await start.Task;
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.ETag?.Tag, response.Headers.Location?.ToString());
        }).ToList();
        start.SetResult();
        var answers = await Task.WhenAll(calls);

        var distinct = answers.Distinct().ToList();
        Assert.True(distinct.Count == 1, $"{kind}: {distinct.Count} different answers to one Idempotency-Key: " +
            string.Join(" | ", distinct.Take(3).Select(a => $"{a.Item1} {a.Item2[..Math.Min(200, a.Item2.Length)]}")));
        Assert.True(answers[0].Item1 is 201 or 202, $"{kind}: the burst was answered {answers[0].Item1}: {answers[0].Item2}");
        var created = await countAsync();
        Assert.Equal(1, created);
        Counts.AddOrUpdate(kind, (Burst, 1, 0), (_, c) => (c.Requests + Burst, c.Created + 1, c.Won));
    }

    private async Task OnePatchBurstAsync(string kind, HttpClient client, string url, JsonObject patch)
    {
        var read = await client.GetAsync(url);
        await read.ExpectAsync(HttpStatusCode.OK);
        var etag = read.Headers.ETag!.Tag;
        var json = patch.ToJsonString();
        var start = new TaskCompletionSource();
        var calls = Enumerable.Range(0, Burst).Select(async _ =>
        {
            await start.Task;
            var response = await client.SendJsonAsync(HttpMethod.Patch, url, json, ifMatch: etag);
            return (Status: (int)response.StatusCode, Response: response);
        }).ToList();
        start.SetResult();
        var answers = await Task.WhenAll(calls);

        var winners = answers.Where(a => a.Status is 200 or 202).ToList();
        var losers = answers.Where(a => a.Status == 412).ToList();
        var others = answers.Where(a => a.Status is not (200 or 202 or 412)).ToList();
        Assert.True(others.Count == 0, $"{kind}: PATCH answers other than 2xx/412: " +
            string.Join(" | ", await Task.WhenAll(others.Take(3).Select(async o => $"{o.Status} {await o.Response.Content.ReadAsStringAsync()}"))));
        Assert.Single(winners);
        Assert.Equal(Burst - 1, losers.Count);
        foreach (var loser in losers) await loser.Response.ExpectProblemAsync(HttpStatusCode.PreconditionFailed);
        var after = await client.GetAsync(url);
        await after.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(winners[0].Response.Headers.ETag?.Tag, after.Headers.ETag?.Tag);
        Assert.NotEqual(etag, after.Headers.ETag?.Tag);
        Counts.AddOrUpdate(kind, (Burst, 0, 1), (_, c) => (c.Requests + Burst, c.Created, c.Won + 1));
    }

    private async Task<int> CountCreatedAsync(string kind, VictimTeam victim, int round)
    {
        await using var db = api.Db();
        var slug = TeamSlug(victim, round);
        return kind switch
        {
            "team" => await db.Teams.CountAsync(t => t.Slug == slug)
                      * await db.AuditEntries.CountAsync(a => a.Action == "team.create" && a.TargetId == slug),
            "cluster" => await db.Clusters.CountAsync(c => c.TeamId == victim.TeamId && c.Name == $"burst{round}")
                         * await db.AuditEntries.CountAsync(a => a.TeamId == victim.TeamId && a.Action == "cluster.create" && a.TargetId.EndsWith($"/burst{round}")),
            "add-on installation" => await db.AddonInstallations.CountAsync(a => a.TeamId == victim.TeamId && a.AddonId == "base"),
            _ => await db.InferenceEndpoints.CountAsync(e => e.TeamId == victim.TeamId && e.Name == $"burst{round}")
                 * await db.AuditEntries.CountAsync(a => a.TeamId == victim.TeamId && a.Action == "endpoint.create" && a.TargetId.EndsWith($"/burst{round}")),
        };
    }
}
