using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Portal.Core.Reconciliation;

public static class ReconciliationServiceCollectionExtensions
{
    /// <summary>The pieces every reconciler shares: options, leases, the resync job. Each resource adds its <see cref="ResyncTarget"/>.</summary>
    public static IServiceCollection AddPortalReconciliation(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ReconciliationOptions>().BindConfiguration(ReconciliationOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.BaseBackoff <= o.MaxBackoff, "Reconciliation:BaseBackoff must not exceed Reconciliation:MaxBackoff.")
            .ValidateOnStart();
        services.TryAddSingleton<ResourceLeases>();
        services.TryAddTransient<ResyncResourcesJob>();
        return services;
    }
}
