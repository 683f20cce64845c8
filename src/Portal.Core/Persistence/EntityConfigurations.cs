using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Audit;
using Portal.Core.Environments;
using Portal.Core.Idempotency;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;

namespace Portal.Core.Persistence;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> b)
    {
        b.ToTable("users");
        b.Property(u => u.Subject).HasMaxLength(255);
        b.HasIndex(u => u.Subject).IsUnique();
        b.Property(u => u.Email).HasMaxLength(320);
        b.HasIndex(u => u.Email).IsUnique();
        b.Property(u => u.DisplayName).HasMaxLength(User.DisplayNameMaxLength);
        b.Property(u => u.Version).IsConcurrencyToken();
    }
}

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> b)
    {
        b.ToTable("teams");
        b.Property(t => t.Slug).HasMaxLength(Team.SlugMaxLength);
        b.HasIndex(t => t.Slug).IsUnique();
        // Immutable: AWS tags, namespaces and URLs carry it. EF refuses to save a changed slug instead of renaming.
        b.Property(t => t.Slug).Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Throw);
        b.Property(t => t.DisplayName).HasMaxLength(Team.DisplayNameMaxLength);
        b.Property(t => t.Description).HasMaxLength(Team.DescriptionMaxLength);
        b.Property(t => t.CostCentre).HasMaxLength(Team.CostCentreMaxLength);
        b.Property(t => t.Version).IsConcurrencyToken();
        b.HasMany(t => t.Members).WithOne(m => m.Team).HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MembershipConfiguration : IEntityTypeConfiguration<Membership>
{
    public void Configure(EntityTypeBuilder<Membership> b)
    {
        b.ToTable("memberships");
        b.HasKey(m => new { m.TeamId, m.UserId });
        b.HasIndex(m => m.UserId);
        b.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        b.Property(m => m.Version).IsConcurrencyToken();
    }
}

internal sealed class GroupMappingConfiguration : IEntityTypeConfiguration<GroupMapping>
{
    public void Configure(EntityTypeBuilder<GroupMapping> b)
    {
        b.ToTable("group_mappings");
        b.Property(g => g.Group).HasMaxLength(GroupMapping.GroupMaxLength);
        b.HasIndex(g => new { g.TeamId, g.Group }).IsUnique();
        b.HasIndex(g => g.Group);
        b.HasOne<Team>().WithMany().HasForeignKey(g => g.TeamId).OnDelete(DeleteBehavior.Cascade);
        b.Property(g => g.Version).IsConcurrencyToken();
    }
}

internal sealed class TeamEnvironmentConfiguration : IEntityTypeConfiguration<TeamEnvironment>
{
    public void Configure(EntityTypeBuilder<TeamEnvironment> b)
    {
        b.ToTable("environments");
        b.HasIndex(e => new { e.TeamId, e.Name }).IsUnique();
        b.HasOne<Team>().WithMany().HasForeignKey(e => e.TeamId).OnDelete(DeleteBehavior.Cascade);
        b.Property(e => e.AwsAccountId).HasMaxLength(12);
        b.Property(e => e.Region).HasMaxLength(32);
        b.Property(e => e.ProvisionerRoleArn).HasMaxLength(2048);
        b.Property(e => e.ExternalId).HasMaxLength(64);
        b.Property(e => e.Version).IsConcurrencyToken();
    }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> b)
    {
        b.ToTable("api_tokens");
        b.Property(t => t.Name).HasMaxLength(ApiToken.NameMaxLength);
        b.Property(t => t.SecretHash).HasMaxLength(64);
        b.HasIndex(t => t.SecretHash).IsUnique();
        b.Property(t => t.SecretHint).HasMaxLength(32);
        b.Property(t => t.Scopes).HasConversion<int>();
        b.HasIndex(t => t.UserId);
        b.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        b.Property(t => t.Version).IsConcurrencyToken();
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.ToTable("audit_entries");
        b.Property(a => a.Id).ValueGeneratedOnAdd();
        b.Property(a => a.ActorName).HasMaxLength(AuditEntry.ActorNameMaxLength);
        b.Property(a => a.Action).HasMaxLength(64);
        b.Property(a => a.TargetType).HasMaxLength(64);
        b.Property(a => a.TargetId).HasMaxLength(AuditEntry.TargetIdMaxLength);
        b.Property(a => a.ClientAddress).HasMaxLength(AuditEntry.ClientAddressMaxLength);
        b.HasIndex(a => a.TeamId);
        b.HasIndex(a => new { a.TargetType, a.TargetId });
    }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> b)
    {
        b.ToTable("idempotency_records");
        b.Property(r => r.Scope).HasMaxLength(64);
        b.Property(r => r.Key).HasMaxLength(255);
        b.HasIndex(r => new { r.Scope, r.Key }).IsUnique();
        b.HasIndex(r => r.ExpiresAtUnixMs);
        b.Property(r => r.RequestHash).HasMaxLength(64);
        b.Property(r => r.Location).HasMaxLength(2048);
        b.Property(r => r.ETag).HasMaxLength(64);
        b.Property(r => r.ContentType).HasMaxLength(128);
    }
}
