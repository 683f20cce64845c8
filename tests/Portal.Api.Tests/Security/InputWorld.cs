using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Api.Tests.Clusters;
using Portal.Core.Clusters;

namespace Portal.Api.Tests.Security;

/// <summary>
/// The portal as an API process (no workers, so only requests change the database), with the job client recording
/// what would be enqueued and rate limiting off: the input suite sends a thousand requests with one token on purpose.
/// </summary>
public sealed class InputSuiteFactory : ApiFactory
{
    public RecordingJobClient Jobs { get; } = new();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Portal:Roles", "web,api");
        builder.UseSetting("RateLimiting:Enabled", "false");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IBackgroundJobClient>();
            services.AddSingleton<IBackgroundJobClient>(Jobs);
        });
    }
}

/// <summary>
/// A real team with something behind every path parameter: an environment, an attached Ready cluster with an add-on
/// and an inference endpoint, a member, a group mapping, a maturity override and the owner's token. Requests go out
/// as the team's owner (a platform admin for /admin routes), so they pass authentication and reach validation.
/// </summary>
public sealed class InputWorld : IAsyncLifetime
{
    private readonly InputSuiteFactory _api = new();

    public const string Cluster = "main";
    public const string Endpoint = "resnet";
    public const string Addon = "cert-manager";

    private const string Kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: main
          cluster: {server: "https://k8s.example.test:6443", certificate-authority-data: Q0E=}
        contexts:
        - name: main
          context: {cluster: main, user: admin}
        current-context: main
        users:
        - name: admin
          user: {token: input-suite-token}
        """;

    public InputSuiteFactory Api => _api;
    public TeamSetup Team { get; private set; } = null!;
    public TestUser Admin { get; private set; } = null!;
    public string GroupMappingId { get; private set; } = "";
    public string OwnerTokenId { get; private set; } = "";
    public JsonObject Document { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _api.InitializeAsync();
        Team = await TeamSetup.CreateAsync(_api);
        Admin = await _api.CreateUserAsync("admin", admin: true);
        var owner = Team.Owner.Client;
        await (await owner.PostJsonAsync($"{Team.Url}/environments", new
        {
            name = "dev", awsAccountId = "123456789012", region = "us-east-1", provisionerRoleArn = "arn:aws:iam::123456789012:role/unicron-provisioner",
        })).ExpectAsync(HttpStatusCode.Created);
        await (await owner.PostJsonAsync($"{Team.Url}/clusters:attach", new { name = Cluster, environment = "dev", kubeconfig = Kubeconfig }))
            .ExpectAsync(HttpStatusCode.Accepted);
        await using (var db = _api.Db())
            await db.Clusters.Where(c => c.Name == Cluster).ExecuteUpdateAsync(u => u.SetProperty(c => c.Phase, ClusterPhase.Ready).SetProperty(c => c.CurrentVersion, "1.33"));
        await (await owner.PostJsonAsync($"{Team.Url}/clusters/{Cluster}/addons", new { addonId = Addon, installDependencies = true }))
            .ExpectAsync(HttpStatusCode.Accepted);
        await (await owner.PostJsonAsync($"{Team.Url}/clusters/{Cluster}/endpoints", JsonNode.Parse("""
            {"name":"resnet","runtime":"triton","protocol":"grpc",
             "model":{"uri":"s3://acme-models/vision/resnet","name":"resnet","version":"3"},
             "gpu":{"type":"L4","count":1},"resources":{"cpu":"3","memory":"12Gi"},
             "autoscaling":{"minReplicas":1,"maxReplicas":4,"triggers":[{"kind":"prometheus","threshold":10,"activationThreshold":1,
               "query":"sum(aws_sqs_approximate_number_of_messages_visible_average{queue_name=\"resnet\"})"}]}}
            """)!)).ExpectAsync(HttpStatusCode.Accepted);
        var mapping = await (await owner.PostJsonAsync($"{Team.Url}/group-mappings", new { group = "input-suite-readers", role = "viewer" }))
            .ExpectAsync(HttpStatusCode.Created);
        GroupMappingId = (string)mapping["id"]!;
        await (await Admin.Client.PostJsonAsync($"/api/v1/admin/teams/{Team.Slug}/maturity-overrides", new { addonId = "mlflow", reason = "input suite" }))
            .ExpectAsync(HttpStatusCode.Created);
        var tokens = await (await owner.GetAsync("/api/v1/tokens")).ExpectAsync(HttpStatusCode.OK);
        OwnerTokenId = (string)tokens["items"]!.AsArray()[0]!["id"]!;
        Document = await (await _api.Anonymous().GetAsync("/openapi/v1.json")).ExpectAsync(HttpStatusCode.OK);
    }

    public Task DisposeAsync() => ((IAsyncLifetime)_api).DisposeAsync();

    /// <summary>The caller of an operation: the platform admin for /admin routes, else the team's owner.</summary>
    public HttpClient CallerOf(WriteOperation operation) =>
        operation.Template.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? Admin.Client : Team.Owner.Client;

    /// <summary>The existing thing a path parameter names, so only the mutated part of a request is wrong.</summary>
    public string PathValue(WriteOperation operation, OperationParameter parameter) => parameter.Name switch
    {
        "team" => Team.Slug,
        "cluster" => Cluster,
        "env" => "dev",
        "addon" => operation.Template.Contains("maturity-overrides", StringComparison.Ordinal) ? "mlflow" : Addon,
        "name" => Endpoint,
        "pool" => "general",
        "userId" => Team.Maintainer.Id.ToString(),
        "id" when operation.Template.Contains("group-mappings", StringComparison.Ordinal) => GroupMappingId,
        "id" => OwnerTokenId,
        _ => throw new InvalidOperationException($"The input suite has no value for {{{parameter.Name}}} in {operation.Name}: add one to InputWorld."),
    };
}
