using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations;
using Portal.Core.Audit;
using Portal.Core.Clusters;
using Portal.Core.Costs;
using Portal.Core.Endpoints;
using Portal.Core.Environments;
using Portal.Core.Idempotency;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;

namespace Portal.Core;

public static class PortalCoreServiceCollectionExtensions
{
    /// <summary>The domain services of the foundation: persistence, users, teams, environments, tokens, audit.</summary>
    public static IServiceCollection AddPortalCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddPortalPersistence();
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.SectionName);
        services.AddOptions<TeamOptions>().BindConfiguration(TeamOptions.SectionName);
        services.AddOptions<EnvironmentOptions>().BindConfiguration(EnvironmentOptions.SectionName)
            .PostConfigure(o => { if (o.Regions.Count == 0) o.Regions.AddRange(EnvironmentOptions.DefaultRegions); })
            .Validate(o => o.Regions.Count > 0, "Environments:Regions must list at least one region.").ValidateOnStart();
        services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.DefaultLifetimeDays <= o.MaxLifetimeDays, "Tokens:DefaultLifetimeDays must not exceed Tokens:MaxLifetimeDays.")
            .ValidateOnStart();
        services.AddSingleton<UserService>();
        services.AddSingleton<TeamService>();
        services.AddSingleton<MemberService>();
        services.AddSingleton<GroupMappingService>();
        services.AddSingleton<EnvironmentService>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<AuditService>();
        services.AddTransient<PruneIdempotencyRecordsJob>();
        services.AddPortalClusters();
        services.AddPortalCosts();
        services.AddPortalAddonCatalog();
        services.AddPortalAddons();
        services.AddPortalEndpoints();
        return services;
    }
}
