using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Cloud.Aws;
using Portal.Core.Tests.Cloud.Support;
using Portal.Emulator.Kubernetes;
using Portal.Emulator.Kubernetes.Specs;
using static Portal.Core.Tests.Cloud.Support.CloudServices;

namespace Portal.Core.Tests.Endpoints;

/// <summary>
/// One emulated EKS cluster for a test class, reached with the portal's own Kubernetes client (EKS token, cluster CA),
/// with the upstream CRDs a GPU endpoint needs (KEDA, Prometheus operator, Karpenter) installed from shared/specs as
/// the platform's add-ons would install them.
/// </summary>
public sealed class EmulatedCluster : IAsyncLifetime
{
    private static readonly string[] CrdFiles =
    [
        "keda.sh_scaledobjects.yaml",
        "keda.sh_triggerauthentications.yaml",
        "monitoring.coreos.com_servicemonitors.yaml",
        "karpenter.sh_nodepools.yaml",
    ];

    private readonly CloudEmulator _cloud = new();
    private ServiceProvider _services = null!;

    public IKubernetes Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _cloud.InitializeAsync();
        _services = _cloud.Services();
        var session = await _cloud.AssumeAsync(_services);
        var name = $"gpu-{Guid.NewGuid():N}"[..16];
        await _services.Eks().CreateClusterAsync(session, Cluster(name));
        var cluster = await _services.Eks().DescribeClusterAsync(session, name);
        Client = _services.Kubernetes().Create(session, cluster.Name, cluster.Endpoint!, cluster.CertificateAuthority!.Data!);

        var specs = KubernetesSpecs.FindSpecsDirectory() ?? throw new InvalidOperationException("shared/specs not found above the test binaries.");
        foreach (var file in CrdFiles)
        foreach (var document in Portal.Emulator.Kubernetes.Json.YamlDocuments(await File.ReadAllTextAsync(Path.Combine(specs, "crds", file))))
            await Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesJson.Deserialize<V1CustomResourceDefinition>(document.ToJsonString()));
    }

    public async Task<string> NamespaceAsync(string name)
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await _services.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    /// <summary>
    /// Asserts that the server holds every field the portal sent with the value sent: the emulator prunes unknown fields
    /// of custom resources and drops those of built-ins (kube-apiserver's default "Warn"), so a typo would vanish here.
    /// </summary>
    public static void AssertKept(JsonNode? sent, JsonNode? held, string path = "")
    {
        switch (sent)
        {
            case JsonObject obj:
                var target = Assert.IsType<JsonObject>(held);
                foreach (var (key, value) in obj)
                {
                    Assert.True(target.ContainsKey(key), $"{path}.{key} was dropped by the server: not in the schema");
                    AssertKept(value, target[key], $"{path}.{key}");
                }
                break;
            case JsonArray array:
                var list = Assert.IsType<JsonArray>(held);
                Assert.True(array.Count == list.Count, $"{path} has {list.Count} items on the server, {array.Count} sent");
                for (var i = 0; i < array.Count; i++) AssertKept(array[i], list[i], $"{path}[{i}]");
                break;
            default:
                Assert.True(JsonNode.DeepEquals(sent, held), $"{path} is {held?.ToJsonString()} on the server, {sent?.ToJsonString()} sent");
                break;
        }
    }
}
