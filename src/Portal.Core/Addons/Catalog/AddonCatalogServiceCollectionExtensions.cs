using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Portal.Core.Addons.Catalog;

public static class AddonCatalogServiceCollectionExtensions
{
    /// <summary>
    /// The add-on catalogue as a singleton, read once from <see cref="AddonCatalogOptions.CatalogPath"/>. A start-up check
    /// loads it before the host serves anything, so a broken catalogue file stops the start with its message.
    /// </summary>
    public static IServiceCollection AddPortalAddonCatalog(this IServiceCollection services)
    {
        services.AddOptions<AddonCatalogOptions>().BindConfiguration(AddonCatalogOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => AddonCatalog.Load(sp.GetRequiredService<IOptions<AddonCatalogOptions>>().Value.CatalogPath));
        services.AddHostedService<AddonCatalogStartupCheck>();
        return services;
    }
}

/// <summary>Resolves the catalogue at start-up: an <see cref="AddonCatalogException"/> here stops the host.</summary>
internal sealed class AddonCatalogStartupCheck(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<AddonCatalog>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
