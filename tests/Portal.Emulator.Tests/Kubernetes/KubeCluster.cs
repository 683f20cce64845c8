using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
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
    private KubeCluster(EmulatorHost host, TestClock clock, AwsTestClient aws, string name, JsonNode described)
    {
        Host = host;
        Clock = clock;
        Aws = aws;
        Name = name;
        Described = described;
        Endpoint = (string)described["endpoint"]!;
        Client = NewClient(new EksTokenProvider(aws, name));
    }

    public EmulatorHost Host { get; }

    public TestClock Clock { get; }

    public AwsTestClient Aws { get; }

    public string Name { get; }

    /// <summary>The cluster's Kubernetes endpoint as DescribeCluster returns it: <c>{emulator}/k8s/{key}</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The cluster as DescribeCluster returned it (endpoint, <c>certificateAuthority.data</c>, ...).</summary>
    public JsonNode Described { get; }

    public IKubernetes Client { get; }

    public KubernetesEmulatorOptions Options => KubernetesApi.Options(Host.Services);

    public static async Task<KubeCluster> StartAsync(Action<KubernetesEmulatorOptions>? configure = null, string name = "k8s-test")
    {
        var clock = new TestClock();
        // The Kubernetes half's options go in with the host's, as the embedded portal passes them.
        var kubernetes = new KubernetesEmulatorOptions
        {
            DeploymentReadyDelay = TimeSpan.Zero,
            JobCompletionDelay = TimeSpan.Zero,
            NamespaceDeletionDelay = TimeSpan.Zero,
            ApplicationSyncDelay = TimeSpan.Zero,
            ScaledObjectReadyDelay = TimeSpan.Zero,
        };
        configure?.Invoke(kubernetes);
        var host = await EmulatorHost.StartAsync(new EmulatorOptions { TimeProvider = clock, Lifecycle = LifecycleOptions.Instant, Kubernetes = kubernetes });
        var account = host.PrimaryAccount;
        var aws = new AwsTestClient(host.BaseAddress, new BasicAWSCredentials(account.AccessKeyId, account.SecretAccessKey), clock);
        var described = await CreateActiveClusterAsync(aws, clock, name);
        return new KubeCluster(host, clock, aws, name, described);
    }

    /// <summary>Creates a cluster through EKS and returns it as DescribeCluster does once ACTIVE.</summary>
    public static async Task<JsonNode> CreateActiveClusterAsync(AwsTestClient aws, TimeProvider clock, string name)
    {
        var created = await aws.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest(name));
        Assert.True(created.Status == 200, created.ToString());
        for (var i = 0; i < 10; i++)
        {
            var cluster = (await aws.EksAsync(HttpMethod.Get, $"/clusters/{name}")).Json["cluster"]!;
            if ((string?)cluster["status"] == "ACTIVE") return cluster;
            if (clock is TestClock test) test.Advance(TimeSpan.FromMinutes(1));
        }
        throw new InvalidOperationException($"cluster {name} never became ACTIVE");
    }

    public IKubernetes NewClient(ITokenProvider? tokens) => Connect(Described, tokens);

    /// <summary>
    /// The official client as the portal builds it from DescribeCluster: its endpoint (https) and its
    /// <c>certificateAuthority.data</c> as the only trusted CA — no <c>SkipTlsVerify</c>.
    /// </summary>
    public static k8s.Kubernetes Connect(JsonNode describedCluster, ITokenProvider? tokens)
    {
        var pem = Encoding.ASCII.GetString(Convert.FromBase64String((string)describedCluster["certificateAuthority"]!["data"]!));
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPem(pem);
        return new k8s.Kubernetes(new KubernetesClientConfiguration
        {
            Host = (string)describedCluster["endpoint"]!,
            SslCaCerts = trusted,
            TokenProvider = tokens,
        });
    }

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
