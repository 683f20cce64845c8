using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Teams;

namespace Portal.Core.Persistence;

internal sealed class ClusterConfiguration : IEntityTypeConfiguration<Cluster>
{
    public void Configure(EntityTypeBuilder<Cluster> b)
    {
        b.ToTable("clusters");
        b.Property(c => c.Name).HasMaxLength(Cluster.NameMaxLength);
        b.HasIndex(c => new { c.TeamId, c.Name }).IsUnique();
        b.Property(c => c.Name).Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Throw);
        b.Property(c => c.EksName).HasMaxLength(100);
        b.Property(c => c.EksName).Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Throw);
        // Restrict, not cascade: a team or environment with clusters is refused by the services, and a slip there
        // must fail loudly rather than orphan AWS resources by deleting their rows.
        b.HasOne<Team>().WithMany().HasForeignKey(c => c.TeamId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<TeamEnvironment>().WithMany().HasForeignKey(c => c.EnvironmentId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(c => c.EnvironmentId);
        b.Property(c => c.KubernetesVersion).HasMaxLength(16);
        b.Property(c => c.CurrentVersion).HasMaxLength(16);
        b.Property(c => c.Tags).HasJsonConversion();
        b.Property(c => c.Conditions).HasJsonConversion();
        b.Property(c => c.Message).HasMaxLength(2000);
        b.Property(c => c.LastError).HasMaxLength(4000);
        b.Property(c => c.KubernetesEndpoint).HasMaxLength(2048);
        b.Property(c => c.EksArn).HasMaxLength(2048);
        b.Property(c => c.BootstrapAppliedHash).HasMaxLength(64);
        b.Property(c => c.LeaseOwner).HasMaxLength(200);
        // The resync job looks for due work.
        b.HasIndex(c => c.NextAttemptAtUnixMs);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.HasMany(c => c.NodePools).WithOne().HasForeignKey(p => p.ClusterId).OnDelete(DeleteBehavior.Cascade);
        b.Ignore(c => c.IsAttached);
    }
}

internal sealed class NodePoolConfiguration : IEntityTypeConfiguration<NodePool>
{
    public void Configure(EntityTypeBuilder<NodePool> b)
    {
        b.ToTable("node_pools");
        b.Property(p => p.Name).HasMaxLength(NodePool.NameMaxLength);
        b.HasIndex(p => new { p.ClusterId, p.Name }).IsUnique();
        b.Property(p => p.InstanceTypes).HasJsonConversion();
        b.Property(p => p.Labels).HasJsonConversion();
        b.Property(p => p.Taints).HasJsonConversion();
        b.Property(p => p.AmiType).HasMaxLength(64);
        b.Property(p => p.ObservedStatus).HasMaxLength(32);
        b.Property(p => p.CurrentVersion).HasMaxLength(16);
        b.Property(p => p.NodegroupArn).HasMaxLength(2048);
        b.Property(p => p.StatusMessage).HasMaxLength(4000);
        b.Property(p => p.Schedule).HasConversion(HibernationScheduleColumn.Converter, HibernationScheduleColumn.Comparer).HasMaxLength(400);
        b.Ignore(p => p.Wake);
        b.Ignore(p => p.RememberedSize);
        b.Ignore(p => p.SpecSize);
        b.Ignore(p => p.IsEndpointCapacity);
    }
}

internal sealed class ResourceEventConfiguration : IEntityTypeConfiguration<ResourceEvent>
{
    public void Configure(EntityTypeBuilder<ResourceEvent> b)
    {
        b.ToTable("resource_events");
        b.Property(e => e.Id).ValueGeneratedOnAdd();
        b.Property(e => e.ResourceType).HasMaxLength(64);
        b.Property(e => e.Step).HasMaxLength(ResourceEvent.StepMaxLength);
        b.Property(e => e.Message).HasMaxLength(ResourceEvent.MessageMaxLength);
        // A timeline outlives its resource (the deleted cluster's history stays readable) but not its team.
        b.HasOne<Team>().WithMany().HasForeignKey(e => e.TeamId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => new { e.ResourceType, e.ResourceId, e.Id });
    }
}
