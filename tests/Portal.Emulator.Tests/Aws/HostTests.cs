using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Portal.Emulator.Kubernetes;

namespace Portal.Emulator.Tests.Aws;

public sealed class HostTests
{
    [Fact]
    public async Task StartAsync_WithPortZero_ListensOnAFreeLoopbackPort()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions(), CancellationToken.None);

        Assert.Equal("127.0.0.1", host.BaseAddress.Host);
        Assert.NotEqual(0, host.BaseAddress.Port);
        using var http = new HttpClient();
        Assert.Contains("ok", await http.GetStringAsync(new Uri(host.BaseAddress, "/_emulator/health")));
    }

    [Fact]
    public void Banner_PrintsExportBlockAndProvisionerRole()
    {
        var options = new EmulatorOptions();

        var banner = Program.Banner("http://127.0.0.1:4566", "https://127.0.0.1:4567", options, options.EffectiveAccounts);

        Assert.Contains("export AWS_ACCESS_KEY_ID=AKIAEMULATORPLATFORM AWS_SECRET_ACCESS_KEY=", banner);
        Assert.Contains("AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:4566", banner);
        Assert.Contains("arn:aws:iam::222222222222:role/unicron-provisioner", banner);
        Assert.Contains("external id: unicron-emulator-external-id", banner);
        Assert.Contains("listening on http://127.0.0.1:4566 and https://127.0.0.1:4567", banner);
        Assert.Contains("https://127.0.0.1:4567/k8s/<key>", banner);
        Assert.Contains("aws --endpoint-url http://127.0.0.1:4566 eks update-kubeconfig --name <cluster>", banner);
    }

    [Fact]
    public async Task StartAsync_ByDefault_ServesHttpsWithACertificateFromTheClusterCaForLoopbackNames()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions(), CancellationToken.None);
        X509Certificate2? served = null;
        using var trustingTheCa = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                served = new X509Certificate2(certificate!);
                return errors == System.Net.Security.SslPolicyErrors.None || ChainsTo(certificate!, host.CertificateAuthorityPem);
            },
        };
        using var http = new HttpClient(trustingTheCa);

        Assert.Equal("https", host.HttpsBaseAddress!.Scheme);
        Assert.Equal("127.0.0.1", host.HttpsBaseAddress.Host);
        Assert.Equal(host.HttpsBaseAddress, host.KubernetesBaseAddress);
        Assert.Contains("ok", await http.GetStringAsync(new Uri(host.HttpsBaseAddress, "/_emulator/health")));
        Assert.Contains("ok", await http.GetStringAsync(new Uri(host.BaseAddress, "/_emulator/health")));
        var names = served!.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], names.EnumerateIPAddresses());
        Assert.True(served.NotAfter <= X509Certificate2.CreateFromPem(host.CertificateAuthorityPem).NotAfter);
    }

    private static bool ChainsTo(X509Certificate certificate, string caPem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(caPem));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }

    [Fact]
    public async Task StartAsync_WithHttpsOff_AdvertisesTheHttpAddressForKubernetes()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { Https = false }, CancellationToken.None);

        Assert.Null(host.HttpsBaseAddress);
        Assert.Equal(host.BaseAddress, host.KubernetesBaseAddress);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4566", null, "https://localhost:4567")]
    [InlineData("http://127.0.0.1:4566", 8443, "https://localhost:8443")]
    [InlineData("http://127.0.0.1:0", null, "https://127.0.0.1:0")]
    [InlineData("http://0.0.0.0:9000", 0, "https://127.0.0.1:0")]
    public void ListenUrls_AddAnHttpsListenerOnLoopback(string http, int? httpsPort, string expected)
    {
        var urls = EmulatorAddresses.ListenUrls([http], new EmulatorOptions { HttpsPort = httpsPort });

        Assert.Equal([http, expected], urls);
    }

    [Fact]
    public void ListenUrls_KeepAnHttpsUrlGivenOnTheCommandLine_AndAddNoneWhenHttpsIsOff()
    {
        Assert.Equal(["http://127.0.0.1:4566", "https://127.0.0.1:9443"],
            EmulatorAddresses.ListenUrls(["http://127.0.0.1:4566", "https://127.0.0.1:9443"], new EmulatorOptions()));
        Assert.Equal(["http://127.0.0.1:4566"], EmulatorAddresses.ListenUrls(["http://127.0.0.1:4566"], new EmulatorOptions { Https = false }));
    }

    [Fact]
    public async Task Options_BoundFromConfiguration_ConfigureTheKubernetesHalf()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Emulator:Kubernetes:DeploymentReadyDelay"] = "00:00:07",
            ["Emulator:Kubernetes:KnownGitRepositories:0"] = "https://github.com/example/deploy",
            ["Emulator:HttpsPort"] = "0",
        }).Build();

        var options = configuration.GetSection(EmulatorOptions.SectionName).Get<EmulatorOptions>()!;
        await using var host = await EmulatorHost.StartAsync(options, CancellationToken.None);

        var live = KubernetesApi.Options(host.Services);
        Assert.Same(options.Kubernetes, live);
        Assert.Equal(TimeSpan.FromSeconds(7), live.DeploymentReadyDelay);
        Assert.Equal(["https://github.com/example/deploy"], live.KnownGitRepositories);
        Assert.Contains("https://kedacore.github.io/charts|keda", live.KnownHelmCharts);
    }

    [Fact]
    public async Task StartAsync_WithInvalidKubernetesOptions_Fails()
    {
        var options = new EmulatorOptions { Kubernetes = { DeploymentReadyDelay = TimeSpan.FromHours(2) } };

        await Assert.ThrowsAsync<System.ComponentModel.DataAnnotations.ValidationException>(() => EmulatorHost.StartAsync(options, CancellationToken.None));
    }

    [Fact]
    public async Task Options_BoundFromConfiguration_ConfigureAccountsRolesAndVersions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Emulator:Region"] = "eu-west-1",
            ["Emulator:KubernetesVersions:0"] = "1.33",
            ["Emulator:KubernetesVersions:1"] = "1.34",
            ["Emulator:Accounts:0:Id"] = "333333333333",
            ["Emulator:Accounts:0:Name"] = "ops",
            ["Emulator:Accounts:0:AccessKeyId"] = "AKIAOPS0000000000000",
            ["Emulator:Accounts:0:SecretAccessKey"] = "ops-secret",
            ["Emulator:Accounts:1:Id"] = "444444444444",
            ["Emulator:Accounts:1:Name"] = "prod",
            ["Emulator:Accounts:1:Roles:0:Name"] = "deployer",
            ["Emulator:Accounts:1:Roles:0:ExternalId"] = "xyz-123",
            ["Emulator:Accounts:1:Roles:0:TrustedAccounts:0"] = "333333333333",
            ["Emulator:Lifecycle:ClusterCreate"] = "00:00:00",
        }).Build();

        var options = configuration.GetSection(EmulatorOptions.SectionName).Get<EmulatorOptions>()!;
        await using var host = await EmulatorHost.StartAsync(options, CancellationToken.None);

        Assert.Equal(["1.33", "1.34"], options.EffectiveKubernetesVersions);
        Assert.Equal("333333333333", host.PrimaryAccount.Id);
        Assert.Equal(("arn:aws:iam::444444444444:role/deployer", "xyz-123"), (host.ProvisionerRole!.Value.RoleArn, host.ProvisionerRole.Value.ExternalId));
        Assert.Equal(TimeSpan.Zero, options.Lifecycle.ClusterCreate);
    }

    [Fact]
    public async Task StartAsync_WithInvalidRegion_Fails()
    {
        await Assert.ThrowsAsync<System.ComponentModel.DataAnnotations.ValidationException>(() =>
            EmulatorHost.StartAsync(new EmulatorOptions { Region = "mars" }, CancellationToken.None));
    }

    [Fact]
    public async Task StartAsync_WithInvalidAccountId_Fails()
    {
        var options = new EmulatorOptions { Accounts = [new AccountOptions { Id = "12", Name = "bad" }] };

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await EmulatorHost.StartAsync(options, CancellationToken.None);
            _ = host.Accounts;
        });
    }
}
