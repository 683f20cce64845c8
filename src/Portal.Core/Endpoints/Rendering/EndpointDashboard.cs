using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Core.Endpoints.Spec;

namespace Portal.Core.Endpoints.Rendering;

/// <summary>
/// The endpoint's Grafana dashboard as a ConfigMap labelled <c>grafana_dashboard: "1"</c>, the label
/// kube-prometheus-stack's Grafana sidecar loads dashboards from. Panels use the runtime's own metric names.
/// </summary>
public static class EndpointDashboard
{
    public const string SidecarLabel = "grafana_dashboard";

    public static JsonObject ConfigMap(EndpointSpec spec, EndpointTarget target, ClusterFacts facts, RuntimeProfile profile, JsonObject metadata)
    {
        metadata["labels"]![SidecarLabel] = "1";
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = metadata,
            ["data"] = new JsonObject { [$"{target.Namespace}-{spec.Name}.json"] = Build(spec, target, facts, profile).ToJsonString(new JsonSerializerOptions { WriteIndented = false }) },
        };
    }

    /// <summary>The dashboard model (Grafana's JSON), with every query valid PromQL.</summary>
    public static JsonObject Build(EndpointSpec spec, EndpointTarget target, ClusterFacts facts, RuntimeProfile profile)
    {
        var scrape = $"namespace=\"{target.Namespace}\",service=\"{spec.Name}-metrics\"";
        var panels = new List<(string Title, string Unit, string Type, (string Expr, string Legend)[] Targets)>();
        if (profile.Metrics is { } m)
        {
            var requests = new List<(string, string)> { ($"sum by (unicron_io_variant) (rate({m.RequestSuccess}{{{scrape}}}[5m]))", "{{unicron_io_variant}} ok") };
            if (m.RequestFailure is { } failure) requests.Add(($"sum by (unicron_io_variant) (rate({failure}{{{scrape}}}[5m]))", "{{unicron_io_variant}} failed"));
            panels.Add(("Request rate", "reqps", "timeseries", [.. requests]));
            panels.Add(("Mean latency", "ms", "timeseries", [(m.LatencyExpression.Replace("$sel", scrape, StringComparison.Ordinal), "mean")]));
            panels.Add(("Batch size", "none", profile.Runtime == EndpointRuntime.TensorflowServing ? "heatmap" : "timeseries",
                [(m.BatchSizeExpression.Replace("$sel", scrape, StringComparison.Ordinal), profile.Runtime == EndpointRuntime.TensorflowServing ? "{{le}}" : "{{pod}}")]));
        }
        var variants = EndpointRenderer.Variants(spec);
        panels.Add(("GPU utilisation", "percent", "timeseries", [.. variants.Select(v => (
            $"avg by ({facts.DcgmPodLabel}) ({EndpointRenderer.GpuUtilizationQuery(target, facts, v)["sum(".Length..^1]})", $"{{{{{facts.DcgmPodLabel}}}}}"))]));
        var deployments = string.Join("|", variants.Select(v => v.DeploymentName));
        panels.Add(("Replicas", "none", "timeseries",
        [
            ($"sum by (deployment) (kube_deployment_status_replicas_available{{namespace=\"{target.Namespace}\",deployment=~\"{deployments}\"}})", "{{deployment}} ready"),
            ($"sum by (deployment) (kube_deployment_spec_replicas{{namespace=\"{target.Namespace}\",deployment=~\"{deployments}\"}})", "{{deployment}} desired"),
        ]));

        var datasource = new JsonObject { ["type"] = "prometheus", ["uid"] = "${datasource}" };
        var json = new JsonArray();
        for (var i = 0; i < panels.Count; i++)
        {
            var (title, unit, type, targets) = panels[i];
            json.Add(new JsonObject
            {
                ["id"] = i + 1,
                ["type"] = type,
                ["title"] = title,
                ["datasource"] = datasource.DeepClone(),
                ["gridPos"] = new JsonObject { ["x"] = i % 2 * 12, ["y"] = i / 2 * 8, ["w"] = 12, ["h"] = 8 },
                ["fieldConfig"] = new JsonObject { ["defaults"] = new JsonObject { ["unit"] = unit }, ["overrides"] = new JsonArray() },
                ["targets"] = new JsonArray([.. targets.Select((t, k) => (JsonNode)new JsonObject
                {
                    ["refId"] = ((char)('A' + k)).ToString(),
                    ["datasource"] = datasource.DeepClone(),
                    ["expr"] = t.Expr,
                    ["legendFormat"] = t.Legend,
                })]),
            });
        }
        return new JsonObject
        {
            ["uid"] = $"unicron-{target.Namespace}-{spec.Name}".Length <= 40 ? $"unicron-{target.Namespace}-{spec.Name}" : $"unicron-{Hash(target.Namespace + "/" + spec.Name)}",
            ["title"] = $"Inference endpoint {target.Team}/{spec.Name}",
            ["tags"] = new JsonArray("unicron", "inference", target.Team),
            ["timezone"] = "utc",
            ["schemaVersion"] = 39,
            ["refresh"] = "30s",
            ["time"] = new JsonObject { ["from"] = "now-6h", ["to"] = "now" },
            ["templating"] = new JsonObject
            {
                ["list"] = new JsonArray(new JsonObject { ["name"] = "datasource", ["type"] = "datasource", ["query"] = "prometheus", ["label"] = "Data source" }),
            },
            ["panels"] = json,
        };
    }

    /// <summary>All PromQL expressions of the dashboard, for tests and for the API to show.</summary>
    public static IEnumerable<string> Queries(JsonObject dashboard) =>
        dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => (string)t!["expr"]!);

    private static string Hash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
}
