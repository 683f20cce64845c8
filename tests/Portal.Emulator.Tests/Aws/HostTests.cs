using Microsoft.Extensions.Configuration;

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

        var banner = Program.Banner("http://127.0.0.1:4566", options, options.EffectiveAccounts);

        Assert.Contains("export AWS_ACCESS_KEY_ID=AKIAEMULATORPLATFORM AWS_SECRET_ACCESS_KEY=", banner);
        Assert.Contains("AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:4566", banner);
        Assert.Contains("arn:aws:iam::222222222222:role/unicron-provisioner", banner);
        Assert.Contains("external id: unicron-emulator-external-id", banner);
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
