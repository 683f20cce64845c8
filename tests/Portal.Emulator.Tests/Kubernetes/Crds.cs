using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Portal.Emulator.Kubernetes;
using Portal.Emulator.Kubernetes.Specs;

namespace Portal.Emulator.Tests.Kubernetes;

/// <summary>The upstream CRDs shipped in specs/crds, applied through the official client as a platform installs them.</summary>
public static class Crds
{
    public static IEnumerable<string> Files => Directory.GetFiles(Path.Combine(KubernetesSpecs.FindSpecsDirectory()!, "crds"), "*.yaml").Order();

    public static async Task InstallAllAsync(IKubernetes client)
    {
        foreach (var file in Files)
        {
            foreach (var document in Json.YamlDocuments(await File.ReadAllTextAsync(file)))
            {
                var crd = KubernetesJson.Deserialize<V1CustomResourceDefinition>(document.ToJsonString());
                await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
            }
        }
    }

    public static JsonObject ToJson(object response) => JsonNode.Parse(JsonSerializer.Serialize(response))!.AsObject();

    public static JsonObject ScaledObject(string name, string target) => new()
    {
        ["apiVersion"] = "keda.sh/v1alpha1",
        ["kind"] = "ScaledObject",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["scaleTargetRef"] = new JsonObject { ["name"] = target },
            ["minReplicaCount"] = 1,
            ["maxReplicaCount"] = 8,
            ["triggers"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "prometheus",
                    ["metadata"] = new JsonObject
                    {
                        ["serverAddress"] = "http://prometheus.monitoring:9090",
                        ["query"] = "sum(rate(http_requests_total[1m]))",
                        ["threshold"] = "100",
                    },
                },
                new JsonObject { ["type"] = "cpu", ["metricType"] = "Utilization", ["metadata"] = new JsonObject { ["value"] = "70" } }),
        },
    };

    public static JsonObject Application(string name, string repoUrl, string chart, string version = "1.0.0") => new()
    {
        ["apiVersion"] = "argoproj.io/v1alpha1",
        ["kind"] = "Application",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["project"] = "default",
            ["source"] = new JsonObject { ["repoURL"] = repoUrl, ["chart"] = chart, ["targetRevision"] = version },
            ["destination"] = new JsonObject { ["server"] = "https://kubernetes.default.svc", ["namespace"] = name },
            ["syncPolicy"] = new JsonObject { ["automated"] = new JsonObject { ["prune"] = true } },
        },
    };
}
