using System.Net.Http.Headers;
using Amazon.Runtime;
using k8s;
using k8s.Authentication;
using k8s.Autorest;
using Portal.Emulator.Kubernetes;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Kubernetes;

/// <summary>
/// An emulator host (the real <see cref="EmulatorHost"/>) with one ACTIVE EKS cluster created through the EKS API,
/// and the official KubernetesClient pointed at its endpoint with EKS tokens. Controller delays default to zero.
/// </summary>
public sealed class KubeCluster : IAsyncDisposable
{
    private KubeCluster(EmulatorHost host, TestClock clock, AwsTestClient aws, string name, string endpoint)
    {
        Host = host;
        Clock = clock;
        Aws = aws;
        Name = name;
        Endpoint = endpoint;
        Client = NewClient(new EksTokenProvider(aws, name));
    }

    public EmulatorHost Host { get; }

    public TestClock Clock { get; }

    public AwsTestClient Aws { get; }

    public string Name { get; }

    /// <summary>The cluster's Kubernetes endpoint as DescribeCluster returns it: <c>{emulator}/k8s/{key}</c>.</summary>
    public string Endpoint { get; }

    public IKubernetes Client { get; }

    public KubernetesEmulatorOptions Options => KubernetesApi.Options(Host.Services);

    public static async Task<KubeCluster> StartAsync(Action<KubernetesEmulatorOptions>? configure = null, string name = "k8s-test")
    {
        var clock = new TestClock();
        var host = await EmulatorHost.StartAsync(new EmulatorOptions { TimeProvider = clock, Lifecycle = LifecycleOptions.Instant });
        var options = KubernetesApi.Options(host.Services);
        options.DeploymentReadyDelay = options.JobCompletionDelay = options.NamespaceDeletionDelay =
            options.ApplicationSyncDelay = options.ScaledObjectReadyDelay = TimeSpan.Zero;
        configure?.Invoke(options);
        var account = host.PrimaryAccount;
        var aws = new AwsTestClient(host.BaseAddress, new BasicAWSCredentials(account.AccessKeyId, account.SecretAccessKey), clock);
        var endpoint = await CreateActiveClusterAsync(aws, clock, name);
        return new KubeCluster(host, clock, aws, name, endpoint);
    }

    public static async Task<string> CreateActiveClusterAsync(AwsTestClient aws, TimeProvider clock, string name)
    {
        var created = await aws.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest(name));
        Assert.True(created.Status == 200, created.ToString());
        for (var i = 0; i < 10; i++)
        {
            var cluster = (await aws.EksAsync(HttpMethod.Get, $"/clusters/{name}")).Json["cluster"]!;
            if ((string?)cluster["status"] == "ACTIVE") return (string)cluster["endpoint"]!;
            if (clock is TestClock test) test.Advance(TimeSpan.FromMinutes(1));
        }
        throw new InvalidOperationException($"cluster {name} never became ACTIVE");
    }

    public IKubernetes NewClient(ITokenProvider? tokens) => new k8s.Kubernetes(new KubernetesClientConfiguration
    {
        Host = Endpoint,
        TokenProvider = tokens,
    });

    /// <summary>Waits (polling, no watch) until <paramref name="condition"/> holds, or fails after a few seconds.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        T last;
        do
        {
            last = await read();
            if (condition(last)) return last;
            await Task.Delay(25);
        }
        while (DateTime.UtcNow < deadline);
        throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; last: {KubernetesJson.Serialize(last)}");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Aws.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>Mints a fresh EKS token per request, as the portal's token provider does (tokens live 15 minutes).</summary>
public sealed class EksTokenProvider(AwsTestClient aws, string clusterName) : ITokenProvider
{
    public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new AuthenticationHeaderValue("Bearer", aws.EksToken(clusterName)));
}
