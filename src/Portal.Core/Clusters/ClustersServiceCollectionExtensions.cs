using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Catalog;

namespace Portal.Core.Clusters;

public static class ClustersServiceCollectionExtensions
{
    /// <summary>The cluster resource: options, the instance-type catalogue, kubeconfig protection and the service.</summary>
    public static IServiceCollection AddPortalClusters(this IServiceCollection services)
    {
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.SectionName)
            .PostConfigure(o =>
            {
                if (o.KubernetesVersions.Count == 0) o.KubernetesVersions.AddRange(ClusterOptions.DefaultKubernetesVersions);
            })
            .ValidateDataAnnotations()
            .Validate(o => o.KubernetesVersions.All(v => KubernetesVersion.TryParse(v, out _)),
                "Clusters:KubernetesVersions must list major.minor versions such as 1.33.")
            .ValidateOnStart();
        // Explicitly the embedded data: DI would otherwise pick the list constructor and inject an empty IEnumerable.
        services.TryAddSingleton(_ => new InstanceTypeCatalog());
        // A host that configures Data Protection (persisted keys, as production must) keeps its set-up; this only
        // makes sure the provider exists for hosts and tools that do not.
        services.AddDataProtection();
        services.TryAddSingleton<KubeconfigProtector>();
        // Built by a factory on purpose: ClusterService needs Hangfire's IBackgroundJobClient, which the host
        // registers (AddHangfire). Processes that never touch clusters (tools, most tests) can then validate their
        // container without Hangfire; resolving ClusterService without it fails loudly, as it should.
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<ClusterService>(sp));
        return services;
    }
}
