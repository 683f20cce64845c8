using Microsoft.Extensions.Options;
using Portal.Emulator.Kubernetes.Controllers;
using Portal.Emulator.Kubernetes.Server;
using Portal.Emulator.Kubernetes.Specs;
using Portal.Emulator.Kubernetes.Store;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Kubernetes;

/// <summary>
/// The Kubernetes half of the emulator: one Kubernetes API per emulated EKS cluster, served at
/// <c>{emulator}/k8s/{key}</c>. The AWS half's <c>EmulatorApp</c> calls these two hooks.
/// </summary>
public static class KubernetesApi
{
    /// <param name="options">
    /// The options to use, as the emulator host passes <c>EmulatorOptions.Kubernetes</c>; this very instance is served, so
    /// later changes are live. Null: bound from configuration section <see cref="KubernetesEmulatorOptions.SectionName"/>.
    /// </param>
    public static void AddServices(IServiceCollection services, KubernetesEmulatorOptions? options = null)
    {
        var optionsBuilder = services.AddOptions<KubernetesEmulatorOptions>().ValidateDataAnnotations();
        if (options is null) optionsBuilder.BindConfiguration(KubernetesEmulatorOptions.SectionName);
        else services.AddSingleton<IOptions<KubernetesEmulatorOptions>>(Microsoft.Extensions.Options.Options.Create(options));
        services.AddSingleton<KubernetesSpecs>();
        services.AddSingleton<KubernetesStore>();
        services.AddSingleton<ResourceCatalog>();
        services.AddSingleton<KubernetesApiServer>();
        services.AddSingleton<Discovery>();
        services.AddSingleton<KubernetesEndpoints>();
        services.AddSingleton<KubernetesControllers>();
        services.AddHostedService(sp => sp.GetRequiredService<KubernetesControllers>());
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        // The emulator's reset endpoint forgets every cluster's objects too.
        var reset = app.ServiceProvider.GetService<EmulatorReset>();
        if (reset is not null)
        {
            var store = app.ServiceProvider.GetRequiredService<KubernetesStore>();
            reset.Resetting += store.Reset;
        }
        var endpoints = app.ServiceProvider.GetRequiredService<KubernetesEndpoints>();
        app.Map("/k8s/{key}/{**path}", (HttpContext context, string key, string? path) => endpoints.HandleAsync(context, key, path))
            .ExcludeFromDescription();
    }

    /// <summary>
    /// The live options (controller delays, known charts). Tests and the embedded portal may change them after the
    /// host started, before the objects they concern are written: the controllers read them at each step.
    /// </summary>
    public static KubernetesEmulatorOptions Options(IServiceProvider services) =>
        services.GetRequiredService<IOptions<KubernetesEmulatorOptions>>().Value;

    /// <summary>The object store of every cluster (for the host's state file: <c>Export()</c>/<c>Import()</c>).</summary>
    public static KubernetesStore Store(IServiceProvider services) => services.GetRequiredService<KubernetesStore>();
}
