using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;

namespace Portal.Core.Cloud;

public static class CloudServiceCollectionExtensions
{
    /// <summary>The cloud clients: STS sessions, the EKS client, EKS tokens and the Kubernetes client factory (section <c>Cloud</c>).</summary>
    public static IServiceCollection AddPortalCloud(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<CloudOptions>().BindConfiguration(CloudOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.AccessKeyId) == string.IsNullOrEmpty(o.SecretAccessKey),
                "Cloud:AccessKeyId and Cloud:SecretAccessKey go together (or both stay empty for the AWS default credential chain).")
            .Validate(o => o.RetryBaseDelay > TimeSpan.Zero && o.RetryBaseDelay <= o.RetryMaxDelay,
                "Cloud:RetryBaseDelay must be positive and not above Cloud:RetryMaxDelay.")
            .ValidateOnStart();
        services.AddSingleton<AwsSessions>();
        services.AddSingleton<EksTokenGenerator>();
        services.AddSingleton<KubernetesClientFactory>();
        // Retries, backoff and per-attempt timeouts are EksClient's own (AWS semantics); the HttpClient's overall
        // timeout must not cut a series of attempts short.
        services.AddHttpClient<EksClient>(http => http.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }
}
