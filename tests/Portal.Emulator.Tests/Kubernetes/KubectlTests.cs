using System.Diagnostics;
using k8s;
using Xunit.Abstractions;

namespace Portal.Emulator.Tests.Kubernetes;

/// <summary>
/// The installed kubectl straight at an emulated cluster, as at EKS: DescribeCluster's https endpoint, its
/// <c>certificateAuthority.data</c> as the only trusted CA, and an EKS token (client-go sends no token to http://).
/// </summary>
public sealed class KubectlTests(ITestOutputHelper output) : IAsyncLifetime
{
    private KubeCluster _cluster = null!;
    private string _kubeconfig = "";

    public async Task InitializeAsync()
    {
        _cluster = await KubeCluster.StartAsync();
        _kubeconfig = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(_kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulated
              cluster:
                server: {_cluster.Endpoint}
                certificate-authority-data: {_cluster.Described["certificateAuthority"]!["data"]}
            users:
            - name: eks
              user:
                token: {_cluster.Aws.EksToken(_cluster.Name)}
            contexts:
            - name: emulated
              context: {"{"}cluster: emulated, user: eks{"}"}
            current-context: emulated
            """);
    }

    public async Task DisposeAsync()
    {
        File.Delete(_kubeconfig);
        if (Directory.Exists(_kubeconfig + "-cache")) Directory.Delete(_kubeconfig + "-cache", recursive: true);
        await _cluster.DisposeAsync();
    }

    internal static string? Kubectl => new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(File.Exists);

    private Task<(int Code, string Out, string Err)> RunAsync(string arguments, string? stdin = null) =>
        RunKubectlAsync(output, _kubeconfig, arguments, stdin);

    internal static async Task<(int Code, string Out, string Err)> RunKubectlAsync(ITestOutputHelper output, string kubeconfig, string arguments,
        string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Kubectl!, $"--kubeconfig {kubeconfig} --cache-dir {kubeconfig}-cache {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"kubectl {arguments} -> {process.ExitCode}\n{await stdout}\n{await stderr}");
        return (process.ExitCode, await stdout, await stderr);
    }

    private const string Manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: from-kubectl
          namespace: default
        spec:
          replicas: 2
          selector:
            matchLabels: {app: from-kubectl}
          template:
            metadata:
              labels: {app: from-kubectl}
            spec:
              containers:
              - name: app
                image: nginx:1.27
        """;

    [KubectlFact]
    public async Task Kubectl_DiscoversGetsAppliesServerSideAndDeletes()
    {
        var resources = await RunAsync("api-resources");
        Assert.Equal(0, resources.Code);
        Assert.Contains("deployments", resources.Out);
        Assert.Contains("horizontalpodautoscalers", resources.Out);

        var namespaces = await RunAsync("get namespaces");
        Assert.Equal(0, namespaces.Code);
        Assert.Contains("kube-system", namespaces.Out);

        var applied = await RunAsync("apply --server-side -f -", Manifest);
        Assert.True(applied.Code == 0, applied.Err);
        Assert.Contains("deployment.apps/from-kubectl serverside-applied", applied.Out);
        var deployment = await _cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("from-kubectl", "default");
        Assert.Contains(deployment.Metadata.ManagedFields, m => m.Manager == "kubectl" && m.Operation == "Apply");

        var invalid = await RunAsync("apply --server-side -f -", Manifest.Replace("replicas: 2", "replicas: 2\n  paws: 4"));
        Assert.NotEqual(0, invalid.Code);
        Assert.Contains("paws", invalid.Err);

        var get = await RunAsync("get deployment from-kubectl -o jsonpath={.spec.replicas}");
        Assert.Equal("2", get.Out.Trim());

        var deleted = await RunAsync("delete deployment from-kubectl --wait=true --timeout=20s");
        Assert.True(deleted.Code == 0, deleted.Err);
        Assert.Empty((await _cluster.Client.AppsV1.ListNamespacedDeploymentAsync("default")).Items);
    }

    [KubectlFact]
    public async Task Kubectl_WithAnotherCa_RefusesTheEmulatorsCertificate()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var stranger = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=stranger", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var strangerData = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(stranger.ExportCertificatePem()));
        var config = await File.ReadAllTextAsync(_kubeconfig);
        await File.WriteAllTextAsync(_kubeconfig, config.Replace((string)_cluster.Described["certificateAuthority"]!["data"]!, strangerData));

        var refused = await RunAsync("get namespaces");

        Assert.NotEqual(0, refused.Code);
        Assert.Contains("certificate signed by unknown authority", refused.Err);
    }

    [Fact]
    public async Task KubernetesClient_FromTheSameKubeconfig_VerifiesTheCertificateWithTheClusterCa()
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(_kubeconfig);
        Assert.False(config.SkipTlsVerify);
        using var client = new k8s.Kubernetes(config);

        var namespaces = await client.CoreV1.ListNamespaceAsync();

        Assert.Contains(namespaces.Items, n => n.Metadata.Name == "kube-system");
    }
}

/// <summary>A fact skipped, with a message, on machines without kubectl.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (KubectlTests.Kubectl is null) Skip = "kubectl is not installed on this machine";
    }
}
