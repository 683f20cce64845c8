using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SecurityToken;

namespace Portal.Emulator.Tests.Support;

/// <summary>An in-process emulator on a free loopback port, with a manual clock and clients for its two accounts.</summary>
public sealed class AwsEmulator : IAsyncDisposable
{
    private AwsEmulator(EmulatorHost host, ManualClock clock)
    {
        Host = host;
        Clock = clock;
        var platform = host.PrimaryAccount;
        Platform = new AwsTestClient(host.BaseAddress, new BasicAWSCredentials(platform.AccessKeyId, platform.SecretAccessKey), clock);
        var team = host.Accounts.First(a => a.Id != platform.Id && a.AccessKeyId is not null);
        Team = new AwsTestClient(host.BaseAddress, new BasicAWSCredentials(team.AccessKeyId, team.SecretAccessKey), clock);
    }

    public EmulatorHost Host { get; }

    public ManualClock Clock { get; }

    /// <summary>Signed with the platform account's (111111111111) long-term key.</summary>
    public AwsTestClient Platform { get; }

    /// <summary>Signed with the team account's (222222222222) long-term key.</summary>
    public AwsTestClient Team { get; }

    public static async Task<AwsEmulator> StartAsync(Action<EmulatorOptions>? configure = null)
    {
        var clock = new ManualClock();
        var options = new EmulatorOptions { TimeProvider = clock, Lifecycle = LifecycleOptions.Instant };
        configure?.Invoke(options);
        return new AwsEmulator(await EmulatorHost.StartAsync(options, CancellationToken.None), clock);
    }

    /// <summary>The real AWSSDK.SecurityToken client, pointed at the emulator, with retries off so errors surface at once.</summary>
    public AmazonSecurityTokenServiceClient Sts(AWSCredentials credentials) => new(credentials, new AmazonSecurityTokenServiceConfig
    {
        ServiceURL = Host.BaseAddress.ToString(),
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 0,
    });

    public static JsonObject ClusterRequest(string name, string? version = null) => new()
    {
        ["name"] = name,
        ["roleArn"] = "arn:aws:iam::111111111111:role/eks-cluster",
        ["resourcesVpcConfig"] = new JsonObject { ["subnetIds"] = new JsonArray("subnet-a", "subnet-b") },
        ["version"] = version,
    };

    public static JsonObject NodegroupRequest(string name) => new()
    {
        ["nodegroupName"] = name,
        ["subnets"] = new JsonArray("subnet-a"),
        ["nodeRole"] = "arn:aws:iam::111111111111:role/eks-node",
    };

    /// <summary>Creates a cluster (and waits until ACTIVE: with instant lifecycles the next call sees it ACTIVE).</summary>
    public async Task<JsonObject> CreateActiveClusterAsync(AwsTestClient client, string name, string? version = null)
    {
        var created = await client.EksAsync(HttpMethod.Post, "/clusters", ClusterRequest(name, version));
        Assert.True(created.Status == 200, created.ToString());
        await AdvanceUntilAsync(client, $"/clusters/{name}", "cluster", "ACTIVE");
        return (await client.EksAsync(HttpMethod.Get, $"/clusters/{name}")).Json["cluster"]!.AsObject();
    }

    public async Task<JsonObject> CreateActiveNodegroupAsync(AwsTestClient client, string cluster, string name, JsonObject? request = null)
    {
        var created = await client.EksAsync(HttpMethod.Post, $"/clusters/{cluster}/node-groups", request ?? NodegroupRequest(name));
        Assert.True(created.Status == 200, created.ToString());
        await AdvanceUntilAsync(client, $"/clusters/{cluster}/node-groups/{name}", "nodegroup", "ACTIVE");
        return (await client.EksAsync(HttpMethod.Get, $"/clusters/{cluster}/node-groups/{name}")).Json["nodegroup"]!.AsObject();
    }

    private async Task AdvanceUntilAsync(AwsTestClient client, string path, string member, string status)
    {
        for (var i = 0; i < 10; i++)
        {
            var described = await client.EksAsync(HttpMethod.Get, path);
            if ((string?)described.Json[member]?["status"] == status) return;
            Clock.Advance(TimeSpan.FromMinutes(1));
        }
        Assert.Fail($"{path} never became {status}");
    }

    public async ValueTask DisposeAsync()
    {
        Platform.Dispose();
        Team.Dispose();
        await Host.DisposeAsync();
    }
}
