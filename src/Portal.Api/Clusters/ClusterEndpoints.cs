using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Infrastructure;
using Portal.Api.Teams;
using Portal.Core.Access;
using Portal.Core.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Costs.Hibernation;
using Portal.Core.Tokens;

namespace Portal.Api.Clusters;

/// <summary>
/// <c>/api/v1/teams/{team}/clusters</c> and <c>/api/v1/instance-types</c>. Writes answer 202 Accepted: the spec is
/// recorded and a worker converges the cluster; poll the resource (or its events) to follow.
/// </summary>
public static class ClusterEndpoints
{
    public const string YamlContentType = "application/yaml";

    public static string Location(string team, string cluster) => $"{TeamEndpoints.Location(team)}/clusters/{cluster}";

    public static RouteGroupBuilder MapClusterEndpoints(this RouteGroupBuilder api)
    {
        var clusters = api.MapGroup("/teams/{team}/clusters").WithTags("Clusters")
            .ProducesProblem(StatusCodes.Status404NotFound);
        clusters.MapGet("/", ListAsync).WithName("ListClusters").ProducesValidationProblem();
        clusters.MapPost("/", CreateAsync).WithName("CreateCluster")
            .WithSummary("Request a cluster in a registered environment (maintainers). 202: provisioning continues in the background.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        clusters.MapGet("/{cluster}", GetAsync).WithName("GetCluster");
        clusters.MapPatch("/{cluster}", UpdateAsync).WithName("UpdateCluster")
            .WithSummary("Change the spec: node pools, endpoint access, tags, or the next minor Kubernetes version. Honours If-Match.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        clusters.MapDelete("/{cluster}", DeleteAsync).WithName("DeleteCluster")
            .WithSummary("Delete the cluster: node groups, add-ons, then the cluster itself. 202: the row goes when AWS is clean. " +
                         "Asking again restarts a deletion that failed. An attached cluster is detached at once (204): its kubeconfig is forgotten, nothing in the cloud is touched.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        // Google-style custom method on one cluster: ASP.NET Core matches the complex segment "{cluster}:retry", and a
        // cluster name (DNS-1123) never holds a colon.
        clusters.MapPost("/{cluster}:retry", RetryAsync).WithName("RetryCluster")
            .WithSummary("Retry a Failed cluster: clear the error and resume where it stopped (provisioning, an update or the deletion). 409 unless Failed. Honours If-Match.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        clusters.MapPost("/{cluster}/node-pools/{pool}:wake", WakeNodePoolAsync).WithName("WakeNodePool")
            .WithSummary("Wake a pool that sleeps outside its schedule (maintainers): it runs until `until` (default: the schedule's next switch, " +
                         "at most 12 hours), then the schedule rules again. 202: a worker scales it back up. 409 if it has no schedule or is not asleep.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        clusters.MapGet("/{cluster}/events", ListEventsAsync).WithName("ListClusterEvents")
            .WithSummary("The cluster's timeline, newest first.")
            .ProducesValidationProblem();
        clusters.MapGet("/{cluster}/kubeconfig", GetKubeconfigAsync).WithName("GetClusterKubeconfig")
            .WithSummary("A kubeconfig using your own AWS credentials (aws eks get-token); it contains no secret.")
            .Produces<string>(StatusCodes.Status200OK, YamlContentType)
            .ProducesProblem(StatusCodes.Status409Conflict);

        // Google-style custom method: a literal segment, so the colon never meets the {cluster} parameter.
        api.MapPost("/teams/{team}/clusters:attach", AttachAsync).WithTags("Clusters").WithName("AttachCluster")
            // A kubeconfig may be up to 256 KiB of text, which JSON escaping can grow past the 1 MiB default.
            .WithRequestBodyLimit(RequestBodyLimit.MiB(2))
            .WithSummary("Register an existing cluster by kubeconfig (stored encrypted, never returned). Its lifecycle stays elsewhere.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        api.MapGet("/instance-types", ListInstanceTypes).WithTags("Clusters").WithName("ListInstanceTypes")
            .WithSummary("EC2 instance types node pools may use, with vCPU, memory, GPU and the us-east-1 on-demand price.");
        return api;
    }

    /// <summary>The response as of the portal's clock (a pool's next scheduled switch depends on it).</summary>
    private static ClusterResponse Respond(HttpContext http, ClusterView view) =>
        ClusterResponse.From(view, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());

    private static async Task<Ok<PageResponse<ClusterResponse>>> ListAsync(
        HttpContext http, ClusterService clusters, string team, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await clusters.ListAsync(http.Actor(), team, new ClusterQuery(cursor, limit), ct);
        return TypedResults.Ok(page.ToResponse(http, v => Respond(http, v)));
    }

    private static async Task<Accepted<ClusterResponse>> CreateAsync(
        HttpContext http, ClusterService clusters, string team, CreateClusterRequest request, CancellationToken ct)
    {
        var view = await clusters.RequestClusterAsync(http.Actor(), team,
            new NewCluster(request.Name, request.Environment, request.NodePools?.Select(p => p?.ToSpec()).ToList(),
                request.KubernetesVersion, request.EndpointAccess, request.Tags), ct);
        return TypedResults.Accepted(Location(team, view.Cluster.Name), Respond(http, view));
    }

    private static async Task<Ok<ClusterResponse>> GetAsync(
        HttpContext http, ClusterService clusters, string team, string cluster, CancellationToken ct) =>
        TypedResults.Ok(Respond(http, await clusters.GetAsync(http.Actor(), team, cluster, ct)));

    private static async Task<Accepted<ClusterResponse>> UpdateAsync(
        HttpContext http, ClusterService clusters, string team, string cluster, UpdateClusterRequest request,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await clusters.UpdateClusterAsync(http.Actor(), team, cluster,
            new ClusterChanges(request.KubernetesVersion, request.EndpointAccess, request.Tags, request.NodePools?.Select(p => p?.ToSpec()).ToList()),
            ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Accepted(Location(team, cluster), Respond(http, view));
    }

    private static async Task<Results<Accepted<ClusterResponse>, NoContent>> DeleteAsync(
        HttpContext http, ClusterService clusters, string team, string cluster,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await clusters.DeleteClusterAsync(http.Actor(), team, cluster, ETags.ParseIfMatch(ifMatch), ct);
        // Detaching is done when the call returns: nothing left to poll.
        if (view.Cluster.IsAttached) return TypedResults.NoContent();
        return TypedResults.Accepted(Location(team, cluster), Respond(http, view));
    }

    private static async Task<Accepted<ClusterResponse>> RetryAsync(
        HttpContext http, ClusterService clusters, string team, string cluster,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await clusters.RetryClusterAsync(http.Actor(), team, cluster, ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Accepted(Location(team, cluster), Respond(http, view));
    }

    private static async Task<Accepted<NodePoolStatusResponse>> WakeNodePoolAsync(
        HttpContext http, HibernationService hibernation, TimeProvider clock, string team, string cluster, string pool,
        WakeNodePoolRequest? request, CancellationToken ct)
    {
        var woken = await hibernation.WakeAsync(http.Actor(), team, cluster, pool, request?.Until, ct);
        return TypedResults.Accepted(Location(team, cluster), NodePoolStatusResponse.From(woken.Pool, clock.GetUtcNow()));
    }

    private static async Task<Ok<PageResponse<ClusterEventResponse>>> ListEventsAsync(
        HttpContext http, ClusterService clusters, string team, string cluster, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await clusters.ListEventsAsync(http.Actor(), team, cluster, new ClusterQuery(cursor, limit), ct);
        return TypedResults.Ok(page.ToResponse(http, ClusterEventResponse.From));
    }

    private static async Task<ContentHttpResult> GetKubeconfigAsync(
        HttpContext http, ClusterService clusters, string team, string cluster, CancellationToken ct)
    {
        var yaml = await clusters.GetKubeconfigAsync(http.Actor(), team, cluster, ct);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{team}-{cluster}.kubeconfig.yaml\"";
        return TypedResults.Text(yaml, YamlContentType);
    }

    private static async Task<Accepted<ClusterResponse>> AttachAsync(
        HttpContext http, ClusterService clusters, string team, AttachClusterRequest request, CancellationToken ct)
    {
        var view = await clusters.AttachClusterAsync(http.Actor(), team,
            new AttachedCluster(request.Name, request.Environment, request.Kubeconfig, request.KubernetesVersion, request.Tags), ct);
        return TypedResults.Accepted(Location(team, view.Cluster.Name), Respond(http, view));
    }

    private static Ok<InstanceTypeListResponse> ListInstanceTypes(HttpContext http, InstanceTypeCatalog catalog, bool? gpu)
    {
        TeamAccess.RequireScope(http.Actor(), TokenScopes.Read);
        var types = catalog.All.Where(t => gpu is null || t.IsGpu == gpu).Select(InstanceTypeResponse.From).ToList();
        return TypedResults.Ok(new InstanceTypeListResponse(types, InstanceTypeCatalog.PriceRegion));
    }
}
