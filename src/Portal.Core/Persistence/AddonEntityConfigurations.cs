using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Core.Teams;

namespace Portal.Core.Persistence;

internal sealed class AddonInstallationConfiguration : IEntityTypeConfiguration<AddonInstallation>
{
    public void Configure(EntityTypeBuilder<AddonInstallation> b)
    {
        b.ToTable("addon_installations");
        b.Property(a => a.AddonId).HasMaxLength(AddonInstallation.AddonIdMaxLength);
        b.Property(a => a.AddonId).Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Throw);
        // One installation of an add-on per cluster: the Application is named after the add-on.
        b.HasIndex(a => new { a.ClusterId, a.AddonId }).IsUnique();
        b.HasIndex(a => a.TeamId);
        // Restrict: the cluster reconciler removes a cluster's row only after its add-ons are uninstalled, and a slip
        // must fail loudly rather than forget workloads still running in the cluster.
        b.HasOne<Cluster>().WithMany().HasForeignKey(a => a.ClusterId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Team>().WithMany().HasForeignKey(a => a.TeamId).OnDelete(DeleteBehavior.Restrict);
        b.Property(a => a.CatalogVersion).HasMaxLength(AddonInstallation.VersionMaxLength);
        b.Property(a => a.SyncStatus).HasMaxLength(32);
        b.Property(a => a.HealthStatus).HasMaxLength(32);
        b.Property(a => a.Message).HasMaxLength(2000);
        b.Property(a => a.LastError).HasMaxLength(4000);
        b.Property(a => a.Conditions).HasJsonConversion();
        b.Property(a => a.LeaseOwner).HasMaxLength(200);
        b.HasIndex(a => a.NextAttemptAtUnixMs);
        b.Property(a => a.Version).IsConcurrencyToken();
        b.Ignore(a => a.Values);
        b.Ignore(a => a.IsUninstalling);
    }
}

internal sealed class MaturityOverrideConfiguration : IEntityTypeConfiguration<MaturityOverride>
{
    public void Configure(EntityTypeBuilder<MaturityOverride> b)
    {
        b.ToTable("maturity_overrides");
        b.Property(o => o.AddonId).HasMaxLength(AddonInstallation.AddonIdMaxLength);
        b.HasIndex(o => new { o.TeamId, o.AddonId }).IsUnique();
        b.Property(o => o.Reason).HasMaxLength(MaturityOverride.ReasonMaxLength);
        b.Property(o => o.CreatedBy).HasMaxLength(320);
        b.HasOne<Team>().WithMany().HasForeignKey(o => o.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}
