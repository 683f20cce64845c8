using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Common;
using Portal.Core.Persistence;

namespace Portal.Core.Environments;

public sealed record NewEnvironment(EnvironmentName Name, string AwsAccountId, string Region, string ProvisionerRoleArn, ReliabilityTier? ReliabilityTier);

public sealed record EnvironmentChanges(string? Region, string? ProvisionerRoleArn, ReliabilityTier? ReliabilityTier);

/// <summary>A team's dev, staging and prod: an AWS account and region each. Owners register them.</summary>
public sealed partial class EnvironmentService(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<EnvironmentOptions> options,
    TimeProvider clock)
{
    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex AccountId();

    /// <summary>IAM role ARN: partition, 12-digit account, role path and name as IAM allows them.</summary>
    [GeneratedRegex(@"^arn:aws(-cn|-us-gov)?:iam::([0-9]{12}):role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")]
    private static partial Regex RoleArn();

    public IReadOnlyList<string> Regions => options.Value.Regions;

    public async Task<IReadOnlyList<TeamEnvironment>> ListAsync(PortalActor actor, string teamSlug, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var list = await db.Environments.AsNoTracking().Where(e => e.TeamId == grant.Team.Id).ToListAsync(ct);
        return list.OrderBy(e => e.Name).ToList();
    }

    public async Task<TeamEnvironment> GetAsync(PortalActor actor, string teamSlug, EnvironmentName name, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        return await db.Environments.AsNoTracking().FirstOrDefaultAsync(e => e.TeamId == grant.Team.Id && e.Name == name, ct)
               ?? throw new NotFoundException("Environment", $"{teamSlug}/{name.ToString().ToLowerInvariant()}");
    }

    /// <summary>Registers an environment and generates its external id. Nothing is created in AWS yet.</summary>
    public async Task<TeamEnvironment> RegisterAsync(PortalActor actor, string teamSlug, NewEnvironment request, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (!Enum.IsDefined(request.Name)) errors.Add("name", "must be one of dev, staging, prod.");
        var accountValid = CheckAccount(errors, request.AwsAccountId);
        CheckRegion(errors, request.Region);
        // Against an account id that is itself wrong, "the role is in another account" would only be noise.
        CheckRoleArn(errors, request.ProvisionerRoleArn, accountValid ? request.AwsAccountId : null);
        if (request.ReliabilityTier is { } tier && !Enum.IsDefined(tier)) errors.Add("reliabilityTier", "must be one of best-effort, standard, critical.");
        errors.ThrowIfAny();

        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Manage, ct);
        var label = request.Name.ToString().ToLowerInvariant();
        if (await db.Environments.AnyAsync(e => e.TeamId == grant.Team.Id && e.Name == request.Name, ct))
            throw new ConflictException($"Team '{teamSlug}' already has a {label} environment.", "name");

        var environment = new TeamEnvironment
        {
            TeamId = grant.Team.Id,
            Name = request.Name,
            AwsAccountId = request.AwsAccountId,
            Region = request.Region,
            ProvisionerRoleArn = request.ProvisionerRoleArn,
            ExternalId = NewExternalId(),
            ReliabilityTier = request.ReliabilityTier ?? DefaultTier(request.Name),
            CreatedAt = clock.GetUtcNow(),
        };
        db.Environments.Add(environment);
        AuditLog.Record(db, actor, environment.CreatedAt, "environment.create", "environment", $"{teamSlug}/{label}", grant.Team.Id, null, Snapshot(environment));
        await db.SaveOrConflictAsync($"Environment '{label}'", ct);
        return environment;
    }

    public async Task<TeamEnvironment> UpdateAsync(PortalActor actor, string teamSlug, EnvironmentName name, EnvironmentChanges changes, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Manage, ct);
        var label = name.ToString().ToLowerInvariant();
        var environment = await db.Environments.FirstOrDefaultAsync(e => e.TeamId == grant.Team.Id && e.Name == name, ct)
                          ?? throw new NotFoundException("Environment", $"{teamSlug}/{label}");
        var errors = new ValidationErrors();
        if (changes.Region is not null) CheckRegion(errors, changes.Region);
        if (changes.ProvisionerRoleArn is not null) CheckRoleArn(errors, changes.ProvisionerRoleArn, environment.AwsAccountId);
        if (changes.ReliabilityTier is { } tier && !Enum.IsDefined(tier)) errors.Add("reliabilityTier", "must be one of best-effort, standard, critical.");
        errors.ThrowIfAny();
        environment.RequireVersion("Environment", expectedVersion);

        var before = Snapshot(environment);
        if (changes.Region is not null) environment.Region = changes.Region;
        if (changes.ProvisionerRoleArn is not null) environment.ProvisionerRoleArn = changes.ProvisionerRoleArn;
        if (changes.ReliabilityTier is not null) environment.ReliabilityTier = changes.ReliabilityTier.Value;
        if (!db.ChangeTracker.HasChanges()) return environment;
        AuditLog.Record(db, actor, clock.GetUtcNow(), "environment.update", "environment", $"{teamSlug}/{label}", grant.Team.Id, before, Snapshot(environment));
        await db.SaveOrConflictAsync($"Environment '{label}'", ct);
        return environment;
    }

    public async Task DeleteAsync(PortalActor actor, string teamSlug, EnvironmentName name, long? expectedVersion, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Manage, ct);
        var label = name.ToString().ToLowerInvariant();
        var environment = await db.Environments.FirstOrDefaultAsync(e => e.TeamId == grant.Team.Id && e.Name == name, ct)
                          ?? throw new NotFoundException("Environment", $"{teamSlug}/{label}");
        environment.RequireVersion("Environment", expectedVersion);
        // The environment's account and role are how the reconciler reaches its clusters: they must go first.
        if (await Clusters.ClusterService.EnvironmentHasClustersAsync(db, environment.Id, ct))
            throw new ConflictException($"The {label} environment still has clusters; delete them first (deletion finishes once their AWS resources are gone).");
        AuditLog.Record(db, actor, clock.GetUtcNow(), "environment.delete", "environment", $"{teamSlug}/{label}", grant.Team.Id, Snapshot(environment), null);
        db.Environments.Remove(environment);
        await db.SaveOrConflictAsync($"Environment '{label}'", ct);
    }

    /// <summary>The external id as later reads show it: enough to recognise, not enough to reuse.</summary>
    public static string MaskExternalId(string externalId) => externalId.Length <= 4 ? "****" : $"****{externalId[^4..]}";

    private static ReliabilityTier DefaultTier(EnvironmentName name) => name switch
    {
        EnvironmentName.Prod => ReliabilityTier.Critical,
        EnvironmentName.Staging => ReliabilityTier.Standard,
        _ => ReliabilityTier.BestEffort,
    };

    /// <summary>16 random bytes (128 bits) as hex: unguessable, and within STS's 2-1224 characters of [\w+=,.@:/-].</summary>
    private static string NewExternalId() => "unicron-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static bool CheckAccount(ValidationErrors errors, string? accountId)
    {
        if (string.IsNullOrEmpty(accountId)) errors.Add("awsAccountId", "is required.");
        else if (!AccountId().IsMatch(accountId)) errors.Add("awsAccountId", "must be exactly 12 digits.");
        else return true;
        return false;
    }

    private void CheckRegion(ValidationErrors errors, string? region)
    {
        if (string.IsNullOrEmpty(region)) errors.Add("region", "is required.");
        else if (!options.Value.Regions.Contains(region, StringComparer.Ordinal))
            errors.Add("region", $"must be one of the platform's regions: {string.Join(", ", options.Value.Regions)}.");
    }

    private static void CheckRoleArn(ValidationErrors errors, string? arn, string? accountId)
    {
        if (string.IsNullOrEmpty(arn)) { errors.Add("provisionerRoleArn", "is required."); return; }
        var match = RoleArn().Match(arn);
        if (!match.Success) errors.Add("provisionerRoleArn", "must be an IAM role ARN such as arn:aws:iam::123456789012:role/unicron-provisioner.");
        else if (accountId is not null && match.Groups[2].Value != accountId)
            errors.Add("provisionerRoleArn", $"must be a role in the environment's account {accountId} (it names {match.Groups[2].Value}).");
    }

    internal static object Snapshot(TeamEnvironment e) => new
    {
        name = e.Name, awsAccountId = e.AwsAccountId, region = e.Region, provisionerRoleArn = e.ProvisionerRoleArn,
        externalId = e.ExternalId, reliabilityTier = e.ReliabilityTier,
    };
}
