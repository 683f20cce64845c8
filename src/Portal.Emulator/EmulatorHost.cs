using System.Diagnostics;
using Portal.Emulator.Aws;
using Portal.Emulator.Aws.Identity;
using Portal.Emulator.Shared;

namespace Portal.Emulator;

/// <summary>
/// The emulator started in-process on a loopback port: what the portal's embedded mode and test fixtures use.
/// Everything the admin endpoints offer is here in C# as well.
/// </summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmulatorHost(WebApplication app)
    {
        _app = app;
        var addresses = app.Services.GetRequiredService<EmulatorAddresses>();
        BaseAddress = WithSlash(addresses.Http!);
        HttpsBaseAddress = addresses.Https is { } https ? WithSlash(https) : null;
        KubernetesBaseAddress = WithSlash(new Uri(addresses.KubernetesBaseUrl(null)));
    }

    /// <summary>http://127.0.0.1:PORT/ — the endpoint for EKS, STS (AWS_ENDPOINT_URL), <c>/k8s/{key}</c> and <c>/_emulator/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// https://127.0.0.1:PORT/ — the same endpoints over TLS, with a certificate issued by <see cref="CertificateAuthorityPem"/>;
    /// null when <see cref="EmulatorOptions.Https"/> is off.
    /// </summary>
    public Uri? HttpsBaseAddress { get; }

    /// <summary>What DescribeCluster's <c>endpoint</c> starts with (<c>{KubernetesBaseAddress}k8s/{key}</c>): the HTTPS address unless configured otherwise.</summary>
    public Uri KubernetesBaseAddress { get; }

    /// <summary>The cluster CA certificate (PEM) that DescribeCluster returns base64-encoded and that issued the HTTPS certificate.</summary>
    public string CertificateAuthorityPem => Services.GetRequiredService<CertificateAuthority>().CertificatePem;

    public IServiceProvider Services => _app.Services;

    public EmulatorOptions Options => Services.GetRequiredService<EmulatorOptions>();

    public EmulatorCalls Calls => Services.GetRequiredService<EmulatorCalls>();

    public FaultInjector Faults => Services.GetRequiredService<FaultInjector>();

    public TimeProvider Clock => Services.GetRequiredService<TimeProvider>();

    public IClusterDirectory Clusters => Services.GetRequiredService<IClusterDirectory>();

    /// <summary>The configured accounts (with their long-term keys and roles).</summary>
    public IReadOnlyList<AccountOptions> Accounts => Services.GetRequiredService<AccountStore>().Accounts;

    /// <summary>The first account with long-term keys: the one printed as <c>export AWS_ACCESS_KEY_ID=...</c>.</summary>
    public AccountOptions PrimaryAccount => Accounts.First(a => a.AccessKeyId is not null);

    /// <summary>A role in another account that <see cref="PrimaryAccount"/> may assume, with its external id; null when none is configured.</summary>
    public (string RoleArn, string? ExternalId, string AccountId)? ProvisionerRole => FindProvisionerRole(Accounts);

    /// <summary>The activity source and diagnostic listener name of an in-process emulator's request handling.</summary>
    public const string HostingDiagnosticsName = "Portal.Emulator.Hosting";

    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}"); // the HTTPS listener is added by ConfigureServices
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // In a portal's process the emulator stands in for AWS and Kubernetes, which are other processes: its requests
        // get their own activity source and diagnostic listener (the hosting layer takes both from DI), so the portal's
        // tracing never exports them as the portal's own server spans (with the paths they were called on).
        builder.Services.AddSingleton(new ActivitySource(HostingDiagnosticsName));
        builder.Services.AddSingleton(new DiagnosticListener(HostingDiagnosticsName));
        EmulatorApp.ConfigureServices(builder, options);
        var app = builder.Build();
        EmulatorApp.MapEndpoints(app);
        await app.StartAsync(ct);
        return new EmulatorHost(app);
    }

    /// <summary>
    /// Makes a role assumable at run time (adding its account when unknown): <paramref name="trustedAccounts"/> may
    /// assume it, with exactly <paramref name="externalId"/> when one is given. See <see cref="AccountStore.RegisterRole"/>.
    /// </summary>
    public void RegisterRole(string accountId, string roleName, string? externalId, params string[] trustedAccounts) =>
        Services.GetRequiredService<AccountStore>().RegisterRole(accountId, roleName, externalId, trustedAccounts);

    /// <summary>Forgets clusters, issued credentials, counters and faults (as <c>POST /_emulator/reset</c>).</summary>
    public Task ResetAsync(CancellationToken ct = default)
    {
        AdminEndpoints.Reset(Calls, Faults, Services.GetRequiredService<AwsState>(), Services.GetRequiredService<EmulatorReset>());
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static Uri WithSlash(Uri uri) => new(uri.GetLeftPart(UriPartial.Authority) + "/");

    internal static (string RoleArn, string? ExternalId, string AccountId)? FindProvisionerRole(IReadOnlyList<AccountOptions> accounts)
    {
        var primary = accounts.FirstOrDefault(a => a.AccessKeyId is not null);
        if (primary is null) return null;
        foreach (var account in accounts.Where(a => a.Id != primary.Id))
        {
            foreach (var role in account.Roles.Where(r => r.TrustedAccounts.Contains(primary.Id)))
            {
                return (AccountStore.RoleArn(account.Id, role.Name), role.ExternalId, account.Id);
            }
        }
        return null;
    }
}
