using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Catalog;
using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Hibernation;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Jobs;
using Portal.Core.Costs.Prices;
using Portal.Core.Costs.Storage;

namespace Portal.Core.Costs;

public static class CostsServiceCollectionExtensions
{
    /// <summary>
    /// The cost model: options, the spot price source (EC2), spot pricing with its fallback, the meter and the budget
    /// webhook (a typed HttpClient), the price table store, cost reports, budgets, metering and its recurring job.
    /// </summary>
    public static IServiceCollection AddPortalCosts(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<CostOptions>().BindConfiguration(CostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BudgetWebhookOptions>().BindConfiguration(BudgetWebhookOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.RetryBaseDelay > TimeSpan.Zero && o.RetryMaxDelay >= o.RetryBaseDelay && o.AttemptTimeout > TimeSpan.Zero,
                "Costs:Webhook delays must be positive and RetryMaxDelay at least RetryBaseDelay.")
            .ValidateOnStart();
        services.TryAddSingleton(_ => new InstanceTypeCatalog());
        services.TryAddSingleton<ISpotPriceSource, Ec2SpotPriceSource>();
        services.TryAddSingleton<SpotPricing>();
        services.TryAddSingleton<CostMeter>();
        // Webhooks go to the teams' own receivers: no redirects to somewhere else, and the per-attempt timeout is ours.
        // The factory's own request logs print the URL's path, which for Slack, Discord or Teams hooks is the credential;
        // BudgetWebhook logs each attempt itself, with the URL masked (WebhookUrls).
        services.AddHttpClient<BudgetWebhook>(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .RemoveAllLoggers();
        // Built by factories, as ClusterService is: they need the database (AddPortalPersistence), and a container
        // with only the cost model (tools, the model's tests) still validates.
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<PriceTableStore>(sp));
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<CostReports>(sp));
        services.TryAddTransient(sp => ActivatorUtilities.CreateInstance<BudgetService>(sp));
        // Built on demand: metering needs the cloud clients (AddPortalCloud), which hosts and tools without a cloud lack;
        // their containers still validate, and resolving metering there fails loudly.
        services.TryAddTransient(sp => ActivatorUtilities.CreateInstance<CostMetering>(sp));
        services.TryAddTransient<MeterCostsJob>(sp => ActivatorUtilities.CreateInstance<MeterCostsJob>(sp));
        // Hibernation: wake and savings (needs Hangfire's client, like ClusterService) and the schedule job.
        services.TryAddTransient(sp => ActivatorUtilities.CreateInstance<HibernationService>(sp));
        services.TryAddTransient(sp => ActivatorUtilities.CreateInstance<ApplyHibernationSchedulesJob>(sp));
        return services;
    }
}
