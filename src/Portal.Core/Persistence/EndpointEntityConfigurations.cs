using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Clusters;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Teams;

namespace Portal.Core.Persistence;

internal sealed class InferenceEndpointConfiguration : IEntityTypeConfiguration<InferenceEndpoint>
{
    public void Configure(EntityTypeBuilder<InferenceEndpoint> b)
    {
        b.ToTable("inference_endpoints");
        b.Property(e => e.Name).HasMaxLength(EndpointSpecRules.NameMaxLength);
        b.HasIndex(e => new { e.ClusterId, e.Name }).IsUnique();
        b.Property(e => e.Name).Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Throw);
        b.HasOne<Team>().WithMany().HasForeignKey(e => e.TeamId).OnDelete(DeleteBehavior.Restrict);
        // Cascade: the cluster's row goes only once EKS has deleted the cluster, and everything in it with it.
        b.HasOne<Cluster>().WithMany().HasForeignKey(e => e.ClusterId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => e.TeamId);
        b.Property(e => e.Spec).HasJsonRecordConversion();
        b.Property(e => e.Conditions).HasJsonConversion();
        b.Property(e => e.Urls).HasJsonConversion();
        b.Property(e => e.AppliedObjects).HasJsonConversion();
        b.Property(e => e.ScalingReason).HasMaxLength(2000);
        b.Property(e => e.Message).HasMaxLength(2000);
        b.Property(e => e.LastError).HasMaxLength(4000);
        b.Property(e => e.LeaseOwner).HasMaxLength(200);
        b.HasIndex(e => e.NextAttemptAtUnixMs);
        b.Property(e => e.Version).IsConcurrencyToken();
    }
}
