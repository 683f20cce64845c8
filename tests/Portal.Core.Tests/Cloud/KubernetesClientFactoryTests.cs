using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Tests.Cloud.Support;
using static Portal.Core.Tests.Cloud.Support.CloudServices;

namespace Portal.Core.Tests.Cloud;

public sealed class KubernetesClientFactoryTests(CloudEmulator cloud) : IClassFixture<CloudEmulator>, IAsyncLifetime
{
    private ServiceProvider _services = null!;
    private AwsSession _session = null!;
    private EksCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _services = cloud.Services();
        _session = await cloud.AssumeAsync(_services);
        var name = $"kube-{Guid.NewGuid():N}"[..16];
        await _services.Eks().CreateClusterAsync(_session, Cluster(name));
        _cluster = await _services.Eks().DescribeClusterAsync(_session, name);
        Assert.True(_cluster.IsActive);
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private IKubernetes Connect(string? clusterName = null) =>
        _services.Kubernetes().Create(_session, clusterName ?? _cluster.Name, _cluster.Endpoint!, _cluster.CertificateAuthority!.Data!);

    [Fact]
    public async Task Create_FromDescribeCluster_TalksToTheClusterOverTlsWithEksTokens()
    {
        using var client = Connect();

        var namespaces = await client.CoreV1.ListNamespaceAsync();

        Assert.Contains(namespaces.Items, n => n.Metadata.Name == "default");
        Assert.StartsWith("https://", ((k8s.Kubernetes)client).BaseUri.ToString());
    }

    [Fact]
    public async Task Create_WithATokenForAnotherCluster_IsRefused()
    {
        using var client = Connect("some-other-cluster");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespaceAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
    }

    [Fact]
    public async Task Create_FromASessionSource_KeepsWorkingAfterTheCredentialsRotate()
    {
        var sessions = _services.GetRequiredService<AwsSessions>();
        using var client = _services.Kubernetes().Create(ct => sessions.AssumeAsync(cloud.Role.RoleArn, cloud.Role.ExternalId, "us-east-1", "reconciler", ct),
            _cluster.Name, _cluster.Endpoint!, _cluster.CertificateAuthority!.Data!);
        await client.CoreV1.ListNamespaceAsync();

        cloud.Clock.Advance(TimeSpan.FromMinutes(58));

        await client.CoreV1.ListNamespaceAsync();
    }

    [Fact]
    public async Task Apply_NamespaceAndDeployment_AsUnicronPortal_ThenGetAndDelete()
    {
        using var client = Connect();
        var ns = $"team-{Guid.NewGuid():N}"[..13];

        var appliedNamespace = await client.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = ns, ["labels"] = new JsonObject { ["unicron.io/team"] = "ml" } },
        });
        var deployment = await client.ApplyAsync(Deployment("inference", ns, replicas: 2));
        var again = await client.ApplyAsync(Deployment("inference", ns, replicas: 2));

        Assert.Equal("ml", (string?)appliedNamespace["metadata"]!["labels"]!["unicron.io/team"]);
        Assert.Equal(2, deployment.Spec.Replicas);
        var manager = Assert.Single(again.Metadata.ManagedFields, m => m.Operation == "Apply");
        Assert.Equal((KubernetesObjects.FieldManager, "apps/v1"), (manager.Manager, manager.ApiVersion));
        Assert.Equal(1, again.Metadata.Generation);
        var read = await client.AppsV1.ReadNamespacedDeploymentAsync("inference", ns);
        Assert.Contains(read.Metadata.ManagedFields, m => m.Manager == "unicron-portal");
        var namespaceRead = await client.GetAsync("v1", "Namespace", ns);
        Assert.Contains(namespaceRead!["metadata"]!["managedFields"]!.AsArray(), m => (string?)m!["manager"] == "unicron-portal");

        Assert.True(await client.DeleteAsync("apps/v1", "Deployment", "inference", ns));
        Assert.Null(await client.GetAsync("apps/v1", "Deployment", "inference", ns));
        Assert.False(await client.DeleteAsync("apps/v1", "Deployment", "inference", ns));
        Assert.Null(await client.AppsV1.ReadNamespacedDeploymentAsync("inference", ns).NullIfNotFoundAsync());
        Assert.True(await client.DeleteAsync("v1", "Namespace", ns));
    }

    [Fact]
    public async Task Apply_WithAMisspeltField_IsRefusedNotSilentlyDropped()
    {
        using var client = Connect();
        var typo = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = "typo", ["namespace"] = "default" },
            ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 80, ["appProtcol"] = "kubernetes.io/h2c" }) },
        };

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => client.ApplyAsync(typo));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Response.StatusCode);
        Assert.Contains("appProtcol", refused.Response.Content);
        Assert.Null(await client.GetAsync("v1", "Service", "typo", "default"));
    }

    [Fact]
    public async Task Apply_ForcesFieldsBackFromAnotherManager()
    {
        using var client = Connect();
        await client.ApplyAsync(Deployment("contested", "default", replicas: 2));
        var theirs = Deployment("contested", "default", replicas: 5);
        (theirs.ApiVersion, theirs.Kind) = ("apps/v1", "Deployment");
        var patch = new V1Patch(KubernetesJson.Serialize(theirs), V1Patch.PatchType.ApplyPatch);
        await client.AppsV1.PatchNamespacedDeploymentAsync(patch, "contested", "default", fieldManager: "kubectl", force: true);

        var reclaimed = await client.ApplyAsync(Deployment("contested", "default", replicas: 2));

        Assert.Equal(2, reclaimed.Spec.Replicas);
    }

    [Fact]
    public async Task Apply_OfAKindTheClusterDoesNotServe_ExplainsWhy()
    {
        using var client = Connect();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "example.com/v1",
            ["kind"] = "Widget",
            ["metadata"] = new JsonObject { ["name"] = "w", ["namespace"] = "default" },
        }));

        Assert.Contains("Widget", e.Message);
    }

    [Fact]
    public void CertificateAuthority_OfDescribeCluster_IsThePemTheEmulatorIssuedWith()
    {
        var certificates = KubernetesClientFactory.CertificateAuthority(_cluster.CertificateAuthority!.Data!);

        Assert.Equal(Encoding.ASCII.GetString(Convert.FromBase64String(_cluster.CertificateAuthority.Data!)).Trim(), cloud.Host.CertificateAuthorityPem.Trim());
        Assert.Single(certificates);
    }

    private static V1Deployment Deployment(string name, string ns, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "server", Image = "nvcr.io/nvidia/tritonserver:24.08-py3" }] },
            },
        },
    };
}
