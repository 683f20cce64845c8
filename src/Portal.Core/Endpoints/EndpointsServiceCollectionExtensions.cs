using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Catalog;
using Portal.Core.Endpoints.Rendering;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;

namespace Portal.Core.Endpoints;

public static class EndpointsServiceCollectionExtensions
{
    /// <summary>Inference endpoints: GPU types, spec rules, the renderer, GPU capacity planning, options and the service.</summary>
    public static IServiceCollection AddPortalEndpoints(this IServiceCollection services)
    {
        // Explicitly the embedded data, as the clusters feature registers it (TryAdd: whoever comes first wins, same data).
        services.TryAddSingleton(_ => new InstanceTypeCatalog());
        services.TryAddSingleton<GpuTypes>();
        services.TryAddSingleton<EndpointSpecRules>();
        services.TryAddSingleton<EndpointRenderer>();
        services.TryAddSingleton<GpuCapacity>();
        services.AddOptions<EndpointOptions>().BindConfiguration(EndpointOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // A factory for the same reason as ClusterService: it needs Hangfire's IBackgroundJobClient from the host.
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<EndpointService>(sp));
        return services;
    }
}
