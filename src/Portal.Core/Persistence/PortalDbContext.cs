using Microsoft.EntityFrameworkCore;
using Portal.Core.Addons.Installations;
using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Costs.Storage;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Idempotency;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;

namespace Portal.Core.Persistence;

/// <summary>The portal's one database, on SQLite (embedded default) or PostgreSQL (production).</summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<Membership> Memberships => Set<Membership>();
    public DbSet<GroupMapping> GroupMappings => Set<GroupMapping>();
    public DbSet<TeamEnvironment> Environments => Set<TeamEnvironment>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<Cluster> Clusters => Set<Cluster>();
    public DbSet<NodePool> NodePools => Set<NodePool>();
    public DbSet<ResourceEvent> ResourceEvents => Set<ResourceEvent>();
    public DbSet<CostLineRecord> CostLines => Set<CostLineRecord>();
    public DbSet<PriceTableUpload> PriceTables => Set<PriceTableUpload>();
    public DbSet<TeamBudget> TeamBudgets => Set<TeamBudget>();
    public DbSet<BudgetAlertRecord> BudgetAlerts => Set<BudgetAlertRecord>();
    public DbSet<BudgetNotification> BudgetNotifications => Set<BudgetNotification>();
    public DbSet<MeteringWatermark> MeteringWatermarks => Set<MeteringWatermark>();
    public DbSet<AddonInstallation> AddonInstallations => Set<AddonInstallation>();
    public DbSet<MaturityOverride> MaturityOverrides => Set<MaturityOverride>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Enums are stored by name: readable in SQL, and reordering an enum cannot silently remap rows.
        configurationBuilder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        BumpVersions();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        BumpVersions();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>
    /// Every update of a versioned row increments its concurrency token; EF then adds
    /// <c>WHERE version = @original</c>, so a concurrent writer fails instead of overwriting.
    /// </summary>
    private void BumpVersions()
    {
        foreach (var entry in ChangeTracker.Entries<IVersioned>())
        {
            if (entry.State == EntityState.Modified) entry.Entity.Version++;
            else if (entry.State == EntityState.Added && entry.Entity.Version == 0) entry.Entity.Version = 1;
        }
    }
}
