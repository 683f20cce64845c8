using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;
using Portal.Core.Teams;

namespace Portal.Web.Tests.Components.Clusters;

/// <summary>
/// A team with a registered dev environment, its owner, a maintainer and a viewer. The tests play the reconciler by
/// writing status and events straight into the database, as the Hangfire job would.
/// </summary>
public abstract class ClusterUiTest : PortalUiTest
{
    protected const string TeamSlug = "data-science";

    protected PortalActor Owner { get; private set; } = default!;
    protected PortalActor Maintainer { get; private set; } = default!;
    protected PortalActor Viewer { get; private set; } = default!;

    protected ClusterService Clusters => Service<ClusterService>();

    protected RecordingJobClient Jobs => (RecordingJobClient)Service<Hangfire.IBackgroundJobClient>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Owner = await CreateUserAsync("olivia");
        Maintainer = await CreateUserAsync("mark");
        Viewer = await CreateUserAsync("victor");
        await Service<TeamService>().CreateTeamAsync(Owner, new NewTeam(TeamSlug, "Data Science", null, "CC-42"), CancellationToken.None);
        await Service<MemberService>().AddMemberAsync(Owner, TeamSlug, "mark@example.test", TeamRole.Maintainer, CancellationToken.None);
        await Service<MemberService>().AddMemberAsync(Owner, TeamSlug, "victor@example.test", TeamRole.Viewer, CancellationToken.None);
        await Service<EnvironmentService>().RegisterAsync(Owner, TeamSlug,
            new NewEnvironment(EnvironmentName.Dev, "123456789012", "eu-west-1", "arn:aws:iam::123456789012:role/unicron-provisioner", null),
            CancellationToken.None);
    }

    protected static NodePoolSpec Pool(string name, string type = "m5.large", int min = 1, int desired = 2, int max = 3,
        CapacityType capacity = CapacityType.OnDemand) => new(name, [type], capacity, min, desired, max);

    protected Task<ClusterView> RequestClusterAsync(string name, string? version = null, params NodePoolSpec[] pools) =>
        Clusters.RequestClusterAsync(Owner, TeamSlug,
            new NewCluster(name, EnvironmentName.Dev, pools.Length == 0 ? [Pool("general")] : pools, version), CancellationToken.None);

    /// <summary>What the reconciler would write: a status change, and optionally a timeline event in the same save.</summary>
    protected async Task WriteStatusAsync(string name, Action<Cluster> change, (string Step, EventOutcome Outcome, string Message)? @event = null)
    {
        await using var db = await Service<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var cluster = await db.Clusters.Include(c => c.NodePools).SingleAsync(c => c.Name == name);
        change(cluster);
        cluster.UpdatedAt = DateTimeOffset.UtcNow;
        if (@event is { } e) EventLog.RecordCluster(db, DateTimeOffset.UtcNow, cluster, e.Step, e.Outcome, e.Message);
        await db.SaveChangesAsync();
    }

    /// <summary>A cluster the reconciler has finished: Ready, endpoint known, pools active on the requested version.</summary>
    protected Task MarkReadyAsync(string name) => WriteStatusAsync(name, c =>
    {
        c.Phase = ClusterPhase.Ready;
        c.ObservedGeneration = c.Generation;
        c.CurrentVersion = c.KubernetesVersion;
        c.KubernetesEndpoint = "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com";
        c.CertificateAuthority = Convert.ToBase64String("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"u8.ToArray());
        c.Message = "The cluster is ready.";
        foreach (var pool in c.NodePools)
        {
            pool.ObservedStatus = "ACTIVE";
            pool.CurrentVersion = c.KubernetesVersion;
        }
    }, ("ready", EventOutcome.Succeeded, "The cluster is ready."));
}
