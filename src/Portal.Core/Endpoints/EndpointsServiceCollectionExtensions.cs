using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Catalog;
using Portal.Core.Endpoints.Rendering;
using Portal.Core.Endpoints.Spec;

namespace Portal.Core.Endpoints;

public static class EndpointsServiceCollectionExtensions
{
    /// <summary>The pure core of inference endpoints: GPU types, spec rules, the renderer and GPU capacity planning.</summary>
    public static IServiceCollection AddPortalEndpoints(this IServiceCollection services)
    {
        // Explicitly the embedded data, as the clusters feature registers it (TryAdd: whoever comes first wins, same data).
        services.TryAddSingleton(_ => new InstanceTypeCatalog());
        services.TryAddSingleton<GpuTypes>();
        services.TryAddSingleton<EndpointSpecRules>();
        services.TryAddSingleton<EndpointRenderer>();
        services.TryAddSingleton<GpuCapacity>();
        return services;
    }
}
