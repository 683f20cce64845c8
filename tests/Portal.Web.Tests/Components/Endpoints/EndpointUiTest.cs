using Microsoft.EntityFrameworkCore;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Events;
using Portal.Core.Persistence;
using Portal.Web.Tests.Components.Clusters;

namespace Portal.Web.Tests.Components.Endpoints;

/// <summary>
/// A team with a Ready cluster "ml" to put endpoints on. As for clusters, the tests play the reconciler by writing
/// status and events into the database.
/// </summary>
public abstract class EndpointUiTest : ClusterUiTest
{
    protected const string ClusterName = "ml";

    /// <summary>Demand measured upstream: a query that exists at zero replicas, so min 0 is allowed.</summary>
    protected const string QueueQuery = "sum(aws_sqs_approximate_number_of_messages_visible_average{queue_name=\"resnet-requests\"})";

    protected EndpointService Endpoints => Service<EndpointService>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RequestClusterAsync(ClusterName);
        await MarkReadyAsync(ClusterName);
    }

    protected static EndpointSpec Triton(string name = "resnet", string gpu = "L4", int min = 0, int max = 8, CanarySpec? canary = null) => new(
        name,
        EndpointRuntime.Triton,
        new ModelSource("s3://acme-models/vision/resnet", "resnet", "3"),
        EndpointProtocol.Grpc,
        new GpuRequest(gpu),
        new ComputeRequest("3", "12Gi"),
        new AutoscalingSpec(min, max, [new ScalingTrigger(ScalingTriggerKind.Prometheus, 10, QueueQuery, 1)]),
        canary is null ? null : new RolloutSpec(canary));

    protected Task<EndpointView> CreateEndpointAsync(EndpointSpec spec) =>
        Endpoints.CreateAsync(Owner, TeamSlug, ClusterName, spec, CancellationToken.None);

    /// <summary>What the reconciler would write: status, and optionally a timeline event in the same save.</summary>
    protected async Task WriteEndpointStatusAsync(string name, Action<InferenceEndpoint> change, (string Step, EventOutcome Outcome, string Message)? @event = null)
    {
        await using var db = await Service<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var endpoint = await db.InferenceEndpoints.SingleAsync(e => e.Name == name);
        change(endpoint);
        endpoint.UpdatedAt = DateTimeOffset.UtcNow;
        if (@event is { } e) EventLog.Record(db, DateTimeOffset.UtcNow, endpoint.TeamId, EndpointService.EventResource, endpoint.Id, e.Step, e.Outcome, e.Message);
        await db.SaveChangesAsync();
    }
}
