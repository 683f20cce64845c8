using System.Text.Json.Nodes;
using Portal.Emulator.Kubernetes.Specs;

namespace Portal.Emulator.Kubernetes.Validation;

/// <summary>
/// The defaults kube-apiserver fills into built-in types that a client reading objects back is likely to notice
/// (Deployment replicas and strategy, container pull policy and port protocol, Service type and ports, Job
/// counts). The OpenAPI documents carry no usable defaults for built-ins, so these few are written here.
/// </summary>
public static class BuiltInDefaults
{
    public static void Apply(ResourceType type, JsonObject obj)
    {
        if (type.IsCustom) return;
        var spec = obj["spec"] as JsonObject;
        switch (type.Group, type.Plural)
        {
            case ("apps", "deployments") when spec is not null:
                spec["replicas"] ??= 1;
                spec["revisionHistoryLimit"] ??= 10;
                spec["progressDeadlineSeconds"] ??= 600;
                if (spec["strategy"] is not JsonObject strategy) spec["strategy"] = strategy = [];
                strategy["type"] ??= "RollingUpdate";
                if (Json.Str(strategy, "type") == "RollingUpdate" && strategy["rollingUpdate"] is null)
                    strategy["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = "25%", ["maxSurge"] = "25%" };
                PodTemplate(spec, "Always");
                break;
            case ("apps", "statefulsets" or "replicasets" or "daemonsets") when spec is not null:
                if (type.Plural != "daemonsets") spec["replicas"] ??= 1;
                PodTemplate(spec, "Always");
                break;
            case ("batch", "jobs") when spec is not null:
                spec["completions"] ??= 1;
                spec["parallelism"] ??= 1;
                spec["backoffLimit"] ??= 6;
                spec["completionMode"] ??= "NonIndexed";
                spec["suspend"] ??= false;
                PodTemplate(spec, null);
                break;
            case ("", "pods") when spec is not null:
                PodSpec(spec, "Always");
                break;
            case ("", "services") when spec is not null:
                spec["type"] ??= "ClusterIP";
                spec["sessionAffinity"] ??= "None";
                foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    port["protocol"] ??= "TCP";
                    if (port["targetPort"] is null && port["port"] is JsonNode p) port["targetPort"] = p.DeepClone();
                }
                break;
        }
    }

    private static void PodTemplate(JsonObject spec, string? restartPolicy)
    {
        if (spec["template"]?["spec"] is JsonObject podSpec) PodSpec(podSpec, restartPolicy);
    }

    private static void PodSpec(JsonObject spec, string? restartPolicy)
    {
        if (restartPolicy is not null) spec["restartPolicy"] ??= restartPolicy;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["schedulerName"] ??= "default-scheduler";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["securityContext"] ??= new JsonObject();
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                var image = Json.Str(container, "image") ?? "";
                var tagged = image.Contains(':') && !image.EndsWith(":latest", StringComparison.Ordinal) || image.Contains('@');
                container["imagePullPolicy"] ??= tagged ? "IfNotPresent" : "Always";
                container["terminationMessagePath"] ??= "/dev/termination-log";
                container["terminationMessagePolicy"] ??= "File";
                container["resources"] ??= new JsonObject();
                foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>()) port["protocol"] ??= "TCP";
            }
        }
    }
}
