using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Costs.Budgets;
using Portal.Core.Tokens;
using Portal.Emulator.Aws;
using Portal.Testing;
using Portal.Web.Tests.Reconciliation;

namespace Portal.Web.Tests.Security;

/// <summary>
/// R6: a real provisioning run (the portal with its workers against the emulator over HTTP, on PostgreSQL) driven
/// through the API, then every API answer, every log line at Trace level, every audit entry and every resource event
/// is searched for the secrets the run handled: access-token secrets, environment external ids, the kubeconfig of an
/// attached cluster, the portal's AWS keys, the STS session credentials the emulator issued, EKS bearer tokens and
/// the credentials inside a budget webhook URL. The only exceptions are the designed one-time reveals: a token's
/// secret in the answer that created it, an environment's external id in the answer that registered it.
/// </summary>
[Collection(HangfireCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class SecretsTests
{
    /// <summary>What an EKS bearer token and a presigned STS URL look like, whatever their values.</summary>
    private static readonly string[] SecretShapes = ["k8s-aws-v1.", "X-Amz-Security-Token", "X-Amz-Signature="];

    private sealed record Exchange(string Request, int Status, string Text);

    [Fact]
    public async Task ARealProvisioningRun_NeverShowsASecret_InAnswersLogsAuditOrEvents()
    {
        // Spans leave through the portal's real OTLP exporter (http/protobuf) to a local collector. Strings travel as
        // UTF-8 inside the protobuf, so the bodies' text holds every URL and attribute a span carries.
        var spanBatches = new ConcurrentQueue<string>();
        await using var collector = await LocalReceiver.StartAsync(async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            spanBatches.Enqueue(Encoding.UTF8.GetString(body.ToArray()));
            http.Response.ContentType = "application/x-protobuf"; // an empty ExportTraceServiceResponse: all accepted
        });
        var logs = new CapturedLogs();
        await using var world = await ClusterWorld.CreateAsync(logging: logs.AttachTo, settings: new Dictionary<string, string?>
        {
            ["Telemetry:Tracing:Enabled"] = "true",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseAddress.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        var host = world.Workers[0];
        var exchanges = new ConcurrentQueue<Exchange>();
        var unique = Guid.NewGuid().ToString("N");

        var ownerToken = await world.Services.GetRequiredService<TokenService>()
            .CreateForSubjectAsync($"sub-{world.OwnerEmail}", "r6", TokenScopes.Read | TokenScopes.Write, 1, default);
        var owner = Client(host, exchanges, ownerToken.Secret);
        var team = $"/api/v1/teams/{world.Team.Slug}";

        // Access tokens: made, used, revoked.
        var made = await Send(owner, HttpMethod.Post, "/api/v1/tokens", new { name = "script", scopes = new[] { "read" } });
        var madeSecret = (string)made["secret"]!;
        var exempt = new Dictionary<string, string> { ["POST /api/v1/tokens"] = madeSecret };
        await Send(Client(host, exchanges, madeSecret), HttpMethod.Get, "/api/v1/me");
        await Send(owner, HttpMethod.Get, "/api/v1/tokens");
        await Send(owner, HttpMethod.Delete, $"/api/v1/tokens/{(string)made["id"]!}");

        // An environment (its external id revealed once) and a cluster attached to it by kubeconfig.
        var staging = await Send(owner, HttpMethod.Post, $"{team}/environments", new
        {
            name = "staging", awsAccountId = ClusterWorld.Account, region = "us-east-1",
            provisionerRoleArn = $"arn:aws:iam::{ClusterWorld.Account}:role/{ClusterWorld.RoleName}",
        });
        var stagingExternalId = (string)staging["externalId"]!;
        exempt[$"POST {team}/environments"] = stagingExternalId;
        await Send(owner, HttpMethod.Get, $"{team}/environments");
        var kubeconfigToken = $"kc-token-{unique}";
        var kubeconfigKey = Convert.ToBase64String(Encoding.UTF8.GetBytes($"-----BEGIN PRIVATE KEY-----{unique}-----END PRIVATE KEY-----"));
        await Send(owner, HttpMethod.Post, $"{team}/clusters:attach", new { name = "onprem", environment = "staging", kubeconfig = Kubeconfig(kubeconfigToken, kubeconfigKey) });
        await Send(owner, HttpMethod.Get, $"{team}/clusters/onprem");
        await Send(owner, HttpMethod.Get, $"{team}/clusters/onprem/events");

        // A managed cluster provisioned by the workers through STS, EKS and the cluster's Kubernetes API.
        await Send(owner, HttpMethod.Post, $"{team}/clusters", new
        {
            name = "main", environment = "dev", kubernetesVersion = "1.34",
            nodePools = new[] { new { name = "general", instanceTypes = new[] { "m5.large" }, minSize = 1, desiredSize = 1, maxSize = 2 } },
        });
        await using (var db = world.CreateContext())
        {
            var id = await db.Clusters.Where(c => c.TeamId == world.Team.Id && c.Name == "main").Select(c => c.Id).SingleAsync();
            await world.WaitForReadyAsync(id);
        }
        await Send(owner, HttpMethod.Get, $"{team}/clusters/main");
        await Send(owner, HttpMethod.Get, $"{team}/clusters");
        await Send(owner, HttpMethod.Get, $"{team}/clusters/main/events?limit=100");
        await Send(owner, HttpMethod.Get, $"{team}/clusters/main/kubeconfig");

        // A budget whose webhook URL carries credentials, and one delivery the receiver refuses (a log line about it).
        var hookPassword = $"hook-pass-{unique[..12]}";
        var hookToken = $"hook-token-{unique[..12]}";
        var hookSecret = $"whsec-{unique}";
        var webhookUrl = $"http://hook-user:{hookPassword}@127.0.0.1:{world.Emulator.BaseAddress.Port}/r6-webhook?token={hookToken}";
        await Send(owner, HttpMethod.Put, $"{team}/budget", new { monthlyLimit = 100, webhookUrl, webhookSecret = hookSecret });
        await Send(owner, HttpMethod.Get, $"{team}/budget");
        var delivery = await world.Services.GetRequiredService<BudgetWebhook>().SendAsync(new Uri(webhookUrl), new BudgetWebhookPayload(
            $"r6-{unique}", BudgetWebhookPayload.ThresholdType, world.Team.Slug, null, "2026-11", 50,
            new WebhookAmount(100, "USD"), new WebhookAmount(50, "USD"), new WebhookAmount(90, "USD"), DateTimeOffset.UtcNow), hookSecret);
        Assert.False(delivery.Delivered);
        // A Slack-style hook whose credential is the last path segment (Discord and Teams do the same): set, read, refused.
        var slackPathSecret = $"Xs{unique[..22]}";
        var slackUrl = $"http://127.0.0.1:{world.Emulator.BaseAddress.Port}/services/T0R6TEAM/B0R6HOOK/{slackPathSecret}";
        await Send(owner, HttpMethod.Put, $"{team}/budget", new { monthlyLimit = 100, webhookUrl = slackUrl });
        await Send(owner, HttpMethod.Get, $"{team}/budget");
        var slackDelivery = await world.Services.GetRequiredService<BudgetWebhook>().SendAsync(new Uri(slackUrl), new BudgetWebhookPayload(
            $"r6-slack-{unique}", BudgetWebhookPayload.ThresholdType, world.Team.Slug, null, "2026-11", 80,
            new WebhookAmount(100, "USD"), new WebhookAmount(80, "USD"), new WebhookAmount(90, "USD"), DateTimeOffset.UtcNow), null);
        Assert.False(slackDelivery.Delivered);
        // The refused delivery's client span, exported with its URL masked, shows the spans searched below are complete.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!spanBatches.Any(b => b.Contains("/services/T0R6TEAM/B0R6HOOK/***", StringComparison.Ordinal)) && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(200);

        await Send(owner, HttpMethod.Get, $"/api/v1/audit?team={world.Team.Slug}&limit=200");
        await Send(owner, HttpMethod.Delete, $"{team}/clusters/onprem");

        var secrets = new Dictionary<string, string>
        {
            ["the owner's access token"] = ownerToken.Secret,
            ["a created access token"] = madeSecret,
            ["the dev environment's external id"] = await world.ExternalIdAsync(),
            ["the staging environment's external id"] = stagingExternalId,
            ["the attached kubeconfig's token"] = kubeconfigToken,
            ["the attached kubeconfig's client key"] = kubeconfigKey,
            ["the portal's AWS access key id"] = world.Emulator.PrimaryAccount.AccessKeyId!,
            ["the portal's AWS secret key"] = world.Emulator.PrimaryAccount.SecretAccessKey!,
            ["the webhook URL's password"] = hookPassword,
            ["the webhook URL's query token"] = hookToken,
            ["the webhook signing secret"] = hookSecret,
            ["the Slack-style webhook's path secret"] = slackPathSecret,
        };
        var state = world.Emulator.Services.GetRequiredService<AwsState>();
        lock (state.Gate)
        {
            foreach (var (i, credential) in state.Credentials.Values.Index())
            {
                secrets[$"STS session {i}'s access key id"] = credential.AccessKeyId;
                secrets[$"STS session {i}'s secret key"] = credential.SecretAccessKey;
                secrets[$"STS session {i}'s session token"] = credential.SessionToken;
            }
        }
        Assert.True(state.Credentials.Count > 0, "the workers never assumed the environment's role: nothing was provisioned");
        foreach (var shape in SecretShapes) secrets[$"something shaped like an EKS token or presigned URL ({shape})"] = shape;

        var failures = new List<string>();
        void Search(string where, string text, string? exempt = null)
        {
            foreach (var (name, value) in secrets)
                if (value != exempt && text.Contains(value, StringComparison.Ordinal))
                    failures.Add($"{where} shows {name}: {Cut(text, value)}");
        }
        foreach (var exchange in exchanges) Search($"The answer to {exchange.Request} ({exchange.Status})", exchange.Text, exempt.GetValueOrDefault(exchange.Request));
        var lines = logs.Lines.ToList();
        foreach (var line in lines) Search("A log line", line);
        var batches = spanBatches.ToList();
        foreach (var batch in batches) Search("An exported trace span", batch);
        await using (var db = world.CreateContext())
        {
            var audit = await db.AuditEntries.AsNoTracking().ToListAsync();
            foreach (var entry in audit)
                Search($"Audit entry {entry.Action}", $"{entry.TargetId} {entry.ActorName} {entry.BeforeJson} {entry.AfterJson}");
            var events = await db.ResourceEvents.AsNoTracking().ToListAsync();
            foreach (var e in events) Search($"Event {e.ResourceType}/{e.Step}", e.Message);

            Assert.True(failures.Count == 0, $"{failures.Count} secret(s) shown:\n" + string.Join("\n", failures.Distinct().Take(40)));
            Assert.True(lines.Count > 1000, $"only {lines.Count} log lines were captured");
            Assert.Contains(lines, l => l.Contains("r6-webhook", StringComparison.Ordinal));
            // The refusal of the Slack-style hook was logged, recognisably and masked.
            Assert.Contains(lines, l => l.Contains("/services/T0R6TEAM/B0R6HOOK/***", StringComparison.Ordinal));
            Assert.True(batches.Any(b => b.Contains("/services/T0R6TEAM/B0R6HOOK/***", StringComparison.Ordinal)),
                $"no exported span carries the Slack-style hook's masked URL ({batches.Count} batches received)");

            ReliabilityReport.Write("R6", $"""
                One provisioning run through the API (`tests/Portal.Web.Tests/Security/SecretsTests.cs`: the portal with its workers on
                PostgreSQL, the emulator over HTTP for STS, EKS and Kubernetes): tokens made, used and revoked, an environment registered,
                a cluster attached by kubeconfig, a managed cluster provisioned to Ready, a budget with a credentialed webhook URL, then a Slack-style one (the secret in its path), and one refused
                delivery to each, with tracing on (the portal's OTLP exporter sending to a local collector). Then **{secrets.Count} secret values and shapes** (token secrets, external ids, the kubeconfig's token and
                key, the portal's AWS keys, {state.Credentials.Count} STS sessions' keys and tokens, EKS token and presigned-URL shapes,
                webhook credentials in user info, query and path) are searched for in:

                {ReliabilityReport.Table(["where", "searched"], [
                    ["API answers (bodies and headers)", exchanges.Count],
                    ["log lines (every category, Trace level, with scopes, properties and exceptions)", lines.Count],
                    ["exported trace span batches (OTLP/HTTP bodies from the portal's own exporter)", batches.Count],
                    ["audit entries", audit.Count],
                    ["resource events", events.Count],
                ])}
                Allowed: a token's secret in the answer that created it and an environment's external id in the answer that registered it
                (each shown once, by design). Latest run: 0 secrets shown.
                """);
        }
    }

    private static HttpClient Client(Portal.Web.Tests.Host.PortalHostFactory host, ConcurrentQueue<Exchange> exchanges, string token)
    {
        var client = host.CreateDefaultClient(new Recorder(exchanges));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<JsonObject> Send(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {url} answered {(int)response.StatusCode}: {text}");
        return text.StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : new JsonObject();
    }

    /// <summary>Keeps every answer's status line, headers and body as the caller received them.</summary>
    private sealed class Recorder(ConcurrentQueue<Exchange> exchanges) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var response = await base.SendAsync(request, ct);
            await response.Content.LoadIntoBufferAsync(ct);
            var text = $"{response.Headers}{response.Content.Headers}\n{await response.Content.ReadAsStringAsync(ct)}";
            exchanges.Enqueue(new Exchange($"{request.Method} {request.RequestUri?.PathAndQuery}", (int)response.StatusCode, text));
            return response;
        }
    }

    private static string Kubeconfig(string token, string clientKey) => $$"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: onprem
          cluster: {server: "https://k8s.onprem.example.test:6443", certificate-authority-data: Q0E=}
        contexts:
        - name: onprem
          context: {cluster: onprem, user: admin}
        current-context: onprem
        users:
        - name: admin
          user: {token: {{token}}, client-key-data: {{clientKey}}}
        """;

    private static string Cut(string text, string value)
    {
        var at = text.IndexOf(value, StringComparison.Ordinal);
        var from = Math.Max(0, at - 120);
        return text.Substring(from, Math.Min(text.Length - from, 120 + value.Length + 60)).ReplaceLineEndings(" ");
    }
}
