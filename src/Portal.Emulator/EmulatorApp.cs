using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Portal.Emulator.Aws;
using Portal.Emulator.Aws.Eks;
using Portal.Emulator.Aws.Identity;
using Portal.Emulator.Aws.Sts;
using Portal.Emulator.Kubernetes;
using Portal.Emulator.Shared;

namespace Portal.Emulator;

/// <summary>
/// Composes the emulator on a WebApplication: the AWS half (EKS, STS, admin) and the Kubernetes half. Used by the
/// standalone <see cref="Program"/> and by <see cref="EmulatorHost"/> (in-process, embedded mode and tests).
/// </summary>
public static class EmulatorApp
{
    public static void ConfigureServices(WebApplicationBuilder b, EmulatorOptions o)
    {
        Validator.ValidateObject(o, new ValidationContext(o), validateAllProperties: true);
        // Data annotations do not recurse, and the Kubernetes half's instance is served as is (no options validation).
        Validator.ValidateObject(o.Kubernetes, new ValidationContext(o.Kubernetes), validateAllProperties: true);
        var clock = o.TimeProvider ?? TimeProvider.System;
        var services = b.Services;
        services.AddSingleton(o);
        services.AddSingleton(clock);
        services.AddSingleton(new EmulatorCalls(clock));
        services.AddSingleton(new FaultInjector(o.FaultSeed));
        services.AddSingleton<EmulatorReset>();
        services.AddSingleton<AwsModels>();
        services.AddSingleton<AwsState>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<SigV4Verifier>();
        services.AddSingleton<CertificateAuthority>();
        services.AddSingleton<EksService>();
        services.AddSingleton<EksEndpoints>();
        services.AddSingleton<StsEndpoints>();
        services.AddSingleton<ClusterDirectory>();
        services.AddSingleton<IClusterDirectory>(sp => sp.GetRequiredService<ClusterDirectory>());
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddSingleton<EmulatorAddresses>();
        KubernetesApi.AddServices(services, o.Kubernetes);
        if (o.Https) AddHttps(b, o);
        if (!string.IsNullOrWhiteSpace(o.StateFile))
        {
            services.AddSingleton<KubernetesStatePersistence>();
            services.AddHostedService(sp => sp.GetRequiredService<KubernetesStatePersistence>());
        }
    }

    /// <summary>
    /// The HTTPS listener (see <see cref="EmulatorAddresses.ListenUrls"/>) with a certificate from the emulator's CA. Reads
    /// the URLs the caller set (<c>--urls</c> or <c>UseUrls</c>) and adds the HTTPS one unless it names its own.
    /// </summary>
    private static void AddHttps(WebApplicationBuilder b, EmulatorOptions o)
    {
        var configured = (b.Configuration[WebHostDefaults.ServerUrlsKey] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        b.WebHost.UseUrls([.. EmulatorAddresses.ListenUrls(configured, o)]);
        // The slim builder leaves Kestrel's HTTPS support out unless asked for.
        b.WebHost.UseKestrelHttpsConfiguration();
        // Options run when Kestrel starts, after the container is built: the CA (and a state file's CA) is loaded by then.
        b.Services.AddOptions<KestrelServerOptions>().Configure<CertificateAuthority>((kestrel, ca) =>
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = ca.ServerCertificate));
    }

    public static void MapEndpoints(WebApplication app)
    {
        // Fail at start, not at the first request, on bad accounts or missing specifications.
        app.Services.GetRequiredService<AccountStore>();
        app.Services.GetRequiredService<AwsModels>();

        AdminEndpoints.Map(app);
        StsEndpoints.Map(app);
        EksEndpoints.Map(app);
        KubernetesApi.Map(app);
        app.Services.GetService<KubernetesStatePersistence>()?.Load();
    }
}
