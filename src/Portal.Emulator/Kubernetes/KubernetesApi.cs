namespace Portal.Emulator.Kubernetes;

/// <summary>Placeholder for the Kubernetes half's composition hooks (owned and replaced by the Kubernetes half).</summary>
public static class KubernetesApi
{
    public static void AddServices(IServiceCollection services)
    {
    }

    public static void Map(IEndpointRouteBuilder app)
    {
    }
}
