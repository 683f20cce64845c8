using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Costs.Storage;
using Portal.Core.Teams;

namespace Portal.Core.Persistence;

internal sealed class CostLineRecordConfiguration : IEntityTypeConfiguration<CostLineRecord>
{
    public void Configure(EntityTypeBuilder<CostLineRecord> b)
    {
        b.ToTable("cost_lines");
        b.Property(l => l.Id).ValueGeneratedOnAdd();
        b.Property(l => l.Team).HasMaxLength(64);
        b.Property(l => l.Cluster).HasMaxLength(64);
        b.Property(l => l.NodePool).HasMaxLength(64);
        b.Property(l => l.Endpoint).HasMaxLength(64);
        b.Property(l => l.InstanceType).HasMaxLength(64);
        b.Property(l => l.Unit).HasMaxLength(32);
        b.Property(l => l.Currency).HasMaxLength(3);
        b.Property(l => l.PriceSource).HasMaxLength(300);
        // 28 digits, 10 after the point: Money.LineScale, so a stored line is exactly the metered one.
        b.Property(l => l.Quantity).HasPrecision(28, 10);
        b.Property(l => l.Amount).HasPrecision(28, 10);
        b.Ignore(l => l.Hour);
        // Costs are history: they outlive clusters (no foreign key to them) but not their team.
        b.HasOne<Team>().WithMany().HasForeignKey(l => l.TeamId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(l => new { l.TeamId, l.HourUnixMs });
        // Re-metering replaces an hour of a cluster.
        b.HasIndex(l => new { l.HourUnixMs, l.ClusterId });
    }
}

internal sealed class PriceTableUploadConfiguration : IEntityTypeConfiguration<PriceTableUpload>
{
    public void Configure(EntityTypeBuilder<PriceTableUpload> b)
    {
        b.ToTable("price_tables");
        b.Property(p => p.Region).HasMaxLength(32);
        b.HasIndex(p => p.Region).IsUnique();
        b.Property(p => p.Source).HasMaxLength(200);
        b.Property(p => p.Currency).HasMaxLength(3);
        b.Property(p => p.Format).HasMaxLength(8);
        b.Property(p => p.UploadedBy).HasMaxLength(200);
    }
}

internal sealed class TeamBudgetConfiguration : IEntityTypeConfiguration<TeamBudget>
{
    public void Configure(EntityTypeBuilder<TeamBudget> b)
    {
        b.ToTable("team_budgets");
        b.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.TeamId).IsUnique();
        b.Property(x => x.MonthlyLimit).HasPrecision(18, 2);
        b.Property(x => x.EnvironmentLimits).HasJsonConversion();
        b.Property(x => x.ThresholdsPercent).HasJsonConversion();
        b.Property(x => x.Currency).HasMaxLength(3);
        b.Property(x => x.WebhookUrl).HasMaxLength(2048);
        b.Property(x => x.WebhookSecret).HasMaxLength(256);
        b.Property(x => x.Version).IsConcurrencyToken();
    }
}

internal sealed class BudgetAlertRecordConfiguration : IEntityTypeConfiguration<BudgetAlertRecord>
{
    public void Configure(EntityTypeBuilder<BudgetAlertRecord> b)
    {
        b.ToTable("budget_alerts");
        b.HasKey(x => new { x.TeamId, x.Scope, x.Month });
        b.Property(x => x.Scope).HasMaxLength(16);
        b.Property(x => x.Month).HasMaxLength(7);
        b.Property(x => x.NotifiedThresholds).HasJsonConversion();
        b.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BudgetNotificationConfiguration : IEntityTypeConfiguration<BudgetNotification>
{
    public void Configure(EntityTypeBuilder<BudgetNotification> b)
    {
        b.ToTable("budget_notifications");
        b.Property(x => x.Id).HasMaxLength(200);
        b.Property(x => x.LastError).HasMaxLength(2000);
        b.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.Done);
    }
}

internal sealed class MeteringWatermarkConfiguration : IEntityTypeConfiguration<MeteringWatermark>
{
    public void Configure(EntityTypeBuilder<MeteringWatermark> b)
    {
        b.ToTable("metering_watermarks");
        b.HasKey(x => x.Name);
        b.Property(x => x.Name).HasMaxLength(32);
    }
}
