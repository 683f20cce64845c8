using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Api.Tests.Addons;
using Portal.Core.Tokens;
using Portal.Testing;

namespace Portal.Api.Tests.Security;

/// <summary>
/// R4: every operation of the portal's OpenAPI document, called by every kind of caller against a team with one of
/// everything. Outsiders get 401 (no or dead credentials) or 404 (another team's things do not exist for them, and
/// the answer names none of them), members without the role or the scope get 403, and nobody outside the team
/// changes anything.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class IsolationMatrixTests(AddonApiFactory api) : IClassFixture<AddonApiFactory>
{
    public enum Caller
    {
        Anonymous,
        UnknownToken,
        ExpiredToken,
        RevokedToken,
        /// <summary>Owner of another team, with read and write scopes.</summary>
        Outsider,
        /// <summary>A platform admin whose token lacks the admin scope: just a person who is not a member.</summary>
        AdminWithoutAdminScope,
        Viewer,
        Maintainer,
        /// <summary>The victim team's owner with a read-only token.</summary>
        OwnerReadOnly,
        Owner,
        Admin,
    }

    private static readonly Caller[] Outside =
        [Caller.Anonymous, Caller.UnknownToken, Caller.ExpiredToken, Caller.RevokedToken, Caller.Outsider, Caller.AdminWithoutAdminScope];

    /// <summary>The status each caller must get for each access class; null means the call is not made (it would succeed and change things).</summary>
    public static int? Expected(AccessClass access, Caller caller)
    {
        if (caller is Caller.Anonymous or Caller.UnknownToken or Caller.ExpiredToken or Caller.RevokedToken) return 401;
        return (access, caller) switch
        {
            (AccessClass.TeamRead, Caller.Outsider or Caller.AdminWithoutAdminScope) => 404,
            (AccessClass.TeamRead, _) => 200,

            (AccessClass.TeamWrite, Caller.Outsider or Caller.AdminWithoutAdminScope) => 404,
            (AccessClass.TeamWrite, Caller.Viewer or Caller.OwnerReadOnly) => 403,

            (AccessClass.TeamManage, Caller.Outsider or Caller.AdminWithoutAdminScope) => 404,
            (AccessClass.TeamManage, Caller.Viewer or Caller.Maintainer or Caller.OwnerReadOnly) => 403,

            (AccessClass.TeamOwnerRead, Caller.Outsider or Caller.AdminWithoutAdminScope) => 404,
            (AccessClass.TeamOwnerRead, Caller.Viewer or Caller.Maintainer) => 403,
            (AccessClass.TeamOwnerRead, _) => 200,

            (AccessClass.AdminRead, Caller.Admin) => 200,
            (AccessClass.AdminRead or AccessClass.AdminWrite, Caller.Admin) => null,
            (AccessClass.AdminRead or AccessClass.AdminWrite, _) => 403,

            (AccessClass.SignedInRead, _) => 200,
            (AccessClass.SignedInWrite, Caller.OwnerReadOnly) => 403,

            (AccessClass.OwnTokenRead, Caller.Outsider or Caller.AdminWithoutAdminScope or Caller.Viewer or Caller.Maintainer) => 404,
            (AccessClass.OwnTokenRead, _) => 200,
            (AccessClass.OwnTokenWrite, Caller.Outsider or Caller.AdminWithoutAdminScope or Caller.Viewer or Caller.Maintainer) => 404,
            (AccessClass.OwnTokenWrite, Caller.OwnerReadOnly) => 403,

            _ => null,
        };
    }

    [Fact]
    public async Task TheMatrix_CoversEveryOperationOfTheOpenApiDocument()
    {
        var documented = await DocumentedOperationsAsync();

        var missing = documented.Except(OperationMatrix.Operations.Keys).Order().ToList();
        var stale = OperationMatrix.Operations.Keys.Except(documented).Order().ToList();

        Assert.True(missing.Count == 0, "Operations without an access class in OperationMatrix: " + string.Join(", ", missing));
        Assert.True(stale.Count == 0, "OperationMatrix entries the OpenAPI document no longer has: " + string.Join(", ", stale));
        Assert.All(OperationMatrix.ExtraProbes, p => Assert.Contains(p.Operation, documented));
    }

    [Fact]
    public async Task EveryOperation_AnswersEveryCaller_AsItsAccessClassSays_AndLeaksNothingOutsideTheTeam()
    {
        var victim = await VictimTeam.CreateAsync(api);
        var clients = await ClientsAsync(victim);
        var (auditBefore, eventsBefore, versionsBefore) = await TeamStateAsync(victim);
        var documented = await DocumentedOperationsAsync();

        var failures = new List<string>();
        var requests = 0;
        var leakChecks = 0;
        var byClass = new Dictionary<AccessClass, int>();
        var probes = OperationMatrix.Operations.Select(o => (o.Key, o.Value)).Concat(OperationMatrix.ExtraProbes).ToList();
        foreach (var (operation, probe) in probes)
        {
            var method = new HttpMethod(operation[..operation.IndexOf(' ')]);
            var path = probe.Path(victim);
            var body = probe.Body?.Invoke(victim)?.ToJsonString();
            foreach (var caller in Enum.GetValues<Caller>())
            {
                if (Expected(probe.Access, caller) is not { } expected) continue;
                using var request = new HttpRequestMessage(method, path);
                if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, probe.ContentType);
                var response = await clients[caller].SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                requests++;
                byClass[probe.Access] = byClass.GetValueOrDefault(probe.Access) + 1;
                var label = $"{operation} ({path}) as {caller}";
                if ((int)response.StatusCode != expected)
                {
                    failures.Add($"{label}: expected {expected}, got {(int)response.StatusCode}: {Cut(text)}");
                    continue;
                }
                if (expected >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    failures.Add($"{label}: {expected} without an RFC 9457 problem body ({response.Content.Headers.ContentType})");
                if (Outside.Contains(caller))
                {
                    leakChecks++;
                    var sent = path + body;
                    var leaked = victim.Markers.Where(m => !sent.Contains(m, StringComparison.Ordinal) && text.Contains(m, StringComparison.Ordinal)).ToList();
                    if (leaked.Count > 0) failures.Add($"{label}: the answer names the victim's {string.Join(", ", leaked)}: {Cut(text)}");
                }
            }
        }

        var (auditAfter, eventsAfter, versionsAfter) = await TeamStateAsync(victim);
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} calls broke isolation:\n" + string.Join("\n", failures));
        Assert.Equal(auditBefore, auditAfter);
        Assert.Equal(eventsBefore, eventsAfter);
        Assert.Equal(versionsBefore, versionsAfter);

        var callers = Enum.GetValues<Caller>();
        ReliabilityReport.Write("R4", $"""
            Every operation of `/openapi/v1.json` is in `tests/Portal.Api.Tests/Security/OperationMatrix.cs` with its access class
            (the suite fails when the document gains an operation the matrix lacks), and is called against a team holding one of
            everything (environments, a managed and an attached cluster, an add-on, an endpoint, a group mapping, a budget, a
            maturity override) by {callers.Length} kinds of caller: {string.Join(", ", callers.Select(c => Regex.Replace(c.ToString(), "(?<=[a-z])(?=[A-Z])", " ").ToLowerInvariant()))}.
            Outsiders get 401 or 404 (never 403, never data: {victim.Markers.Count} ids, names and secrets of the team are searched for
            in each answer), members without the role or scope 403; afterwards the team's audit entries, events and row versions are unchanged.

            Latest run: **{documented.Count} operations** ({probes.Count} probes) × callers = **{requests} requests**, {leakChecks} answers to
            outsiders searched for leaks, 0 failures.

            {ReliabilityReport.Table(["access class", "requests"], byClass.OrderBy(c => c.Key).Select(c => (IReadOnlyList<object>)[c.Key, c.Value]))}
            """);
    }

    private async Task<HashSet<string>> DocumentedOperationsAsync()
    {
        var document = await (await api.Anonymous().GetAsync("/openapi/v1.json")).ExpectAsync(HttpStatusCode.OK);
        return document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .ToHashSet();
    }

    private async Task<Dictionary<Caller, HttpClient>> ClientsAsync(VictimTeam victim)
    {
        var expired = await api.ClientWithScopesAsync(victim.Owner, TokenScopes.Read | TokenScopes.Write);
        await using (var db = api.Db())
        {
            // Expiry is the row's: one token made to have expired, without moving the whole host's clock.
            var id = await db.ApiTokens.Where(t => t.UserId == victim.Owner.Id && t.Name == "scoped").Select(t => t.Id).SingleAsync();
            await db.ApiTokens.Where(t => t.Id == id).ExecuteUpdateAsync(u => u.SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
            await (await expired.GetAsync("/api/v1/me")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
            await db.ApiTokens.Where(t => t.Id == id).ExecuteUpdateAsync(u => u.SetProperty(t => t.Name, "expired"));
        }
        var revoked = await api.ClientWithScopesAsync(victim.Owner, TokenScopes.Read | TokenScopes.Write);
        var me = await (await revoked.GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);
        await (await revoked.DeleteAsync($"/api/v1/tokens/{(string)me["authentication"]!["tokenId"]!}")).ExpectAsync(HttpStatusCode.NoContent);

        var unknown = api.Anonymous();
        unknown.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenService.SecretPrefix + "AAAAnotarealtokenAAAAnotarealtokenAAAAAAAAAAA");
        return new Dictionary<Caller, HttpClient>
        {
            [Caller.Anonymous] = api.Anonymous(),
            [Caller.UnknownToken] = unknown,
            [Caller.ExpiredToken] = expired,
            [Caller.RevokedToken] = revoked,
            [Caller.Outsider] = victim.Outsider.Client,
            [Caller.AdminWithoutAdminScope] = await api.ClientWithScopesAsync(victim.Admin, TokenScopes.Read | TokenScopes.Write),
            [Caller.Viewer] = victim.Viewer.Client,
            [Caller.Maintainer] = victim.Maintainer.Client,
            [Caller.OwnerReadOnly] = await api.ClientWithScopesAsync(victim.Owner, TokenScopes.Read),
            [Caller.Owner] = victim.Owner.Client,
            [Caller.Admin] = victim.Admin.Client,
        };
    }

    /// <summary>What would change if anyone outside the team had managed to change anything: audit, events, row versions.</summary>
    private async Task<(int Audit, int Events, string Versions)> TeamStateAsync(VictimTeam victim)
    {
        await using var db = api.Db();
        var audit = await db.AuditEntries.CountAsync(a => a.TeamId == victim.TeamId);
        var events = await db.ResourceEvents.CountAsync(e => e.TeamId == victim.TeamId);
        var versions = new List<long>
        {
            await db.Teams.Where(t => t.Id == victim.TeamId).Select(t => t.Version).SingleAsync(),
        };
        versions.AddRange(await db.Clusters.Where(c => c.TeamId == victim.TeamId).OrderBy(c => c.Name).Select(c => c.Version).ToListAsync());
        versions.AddRange(await db.AddonInstallations.Where(a => a.TeamId == victim.TeamId).OrderBy(a => a.AddonId).Select(a => a.Version).ToListAsync());
        versions.AddRange(await db.InferenceEndpoints.Where(e => e.TeamId == victim.TeamId).OrderBy(e => e.Name).Select(e => e.Version).ToListAsync());
        versions.AddRange(await db.Environments.Where(e => e.TeamId == victim.TeamId).OrderBy(e => e.Name).Select(e => e.Version).ToListAsync());
        versions.AddRange(await db.Memberships.Where(m => m.TeamId == victim.TeamId).OrderBy(m => m.UserId).Select(m => m.Version).ToListAsync());
        versions.Add(await db.Memberships.CountAsync(m => m.TeamId == victim.TeamId));
        versions.Add(await db.GroupMappings.CountAsync(g => g.TeamId == victim.TeamId));
        versions.Add(await db.MaturityOverrides.CountAsync(o => o.TeamId == victim.TeamId));
        versions.Add(await db.ApiTokens.CountAsync(t => t.Id == victim.OwnerTokenId && t.RevokedAt == null));
        return (audit, events, string.Join(",", versions));
    }

    private static string Cut(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
