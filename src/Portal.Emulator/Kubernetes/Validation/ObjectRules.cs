using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Portal.Emulator.Kubernetes.Server;
using Portal.Emulator.Kubernetes.Specs;

namespace Portal.Emulator.Kubernetes.Validation;

/// <summary>
/// The checks kube-apiserver's type-specific validation makes beyond the OpenAPI schema, limited to those a
/// portal is likely to trip over: object names, label syntax, workload selectors matching their templates,
/// containers with images, quantities, Job restart policies, CRD naming. Messages follow the apiserver's.
/// </summary>
public static partial class ObjectRules
{
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex(@"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")]
    private static partial Regex Quantity();

    public static List<StatusCause> Check(ResourceType type, JsonObject obj)
    {
        var errors = new List<StatusCause>();
        var name = Json.Str(obj, "metadata", "name") ?? "";
        var labelNamed = type.Group == "" && type.Plural is "namespaces" or "services";
        if (name.Length > 0)
        {
            if (labelNamed ? !DnsLabel().IsMatch(name) || name.Length > 63 : !Subdomain().IsMatch(name) || name.Length > 253)
            {
                // RBAC and a few others allow path-segment names; the portal's types all use DNS names.
                if (type.Group != "rbac.authorization.k8s.io")
                    errors.Add(new("FieldValueInvalid", $"Invalid value: \"{name}\": {(labelNamed ? LabelMessage : SubdomainMessage)}", "metadata.name"));
            }
        }
        if (obj["metadata"]?["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
                if (text.Length > 63 || !LabelValue().IsMatch(text))
                    errors.Add(new("FieldValueInvalid", $"Invalid value: \"{text}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')", $"metadata.labels"));
                var keyName = key.Contains('/') ? key[(key.IndexOf('/') + 1)..] : key;
                if (keyName.Length is 0 or > 63 || !LabelValue().IsMatch(keyName))
                    errors.Add(new("FieldValueInvalid", $"Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", "metadata.labels"));
            }
        }

        switch (type.Group, type.Plural)
        {
            case ("apps", "deployments" or "replicasets" or "statefulsets" or "daemonsets"):
                CheckSelector(obj, errors, type.Singular);
                if (type.Plural == "deployments")
                    Supported(errors, Json.Str(obj, "spec", "strategy", "type"), "spec.strategy.type", "Recreate", "RollingUpdate");
                CheckPodSpec(obj["spec"]?["template"]?["spec"] as JsonObject, "spec.template.spec", errors);
                var restart = Json.Str(obj, "spec", "template", "spec", "restartPolicy");
                if (restart is not null && restart != "Always")
                    errors.Add(new("FieldValueNotSupported", $"Unsupported value: \"{restart}\": supported values: \"Always\"", "spec.template.spec.restartPolicy"));
                break;
            case ("batch", "jobs"):
                CheckPodSpec(obj["spec"]?["template"]?["spec"] as JsonObject, "spec.template.spec", errors);
                var jobRestart = Json.Str(obj, "spec", "template", "spec", "restartPolicy");
                if (jobRestart is not ("OnFailure" or "Never"))
                    errors.Add(jobRestart is null
                        ? new("FieldValueRequired", "Required value: valid values: \"OnFailure\", \"Never\"", "spec.template.spec.restartPolicy")
                        : new("FieldValueNotSupported", $"Unsupported value: \"{jobRestart}\": supported values: \"OnFailure\", \"Never\"", "spec.template.spec.restartPolicy"));
                break;
            case ("", "pods"):
                CheckPodSpec(obj["spec"] as JsonObject, "spec", errors);
                break;
            case ("", "services"):
                var serviceType = Json.Str(obj, "spec", "type") ?? "ClusterIP";
                Supported(errors, serviceType, "spec.type", "ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
                if (serviceType != "ExternalName" && Json.Str(obj, "spec", "clusterIP") != "None" && (obj["spec"]?["ports"] as JsonArray ?? []).Count == 0)
                    errors.Add(new("FieldValueRequired", "Required value", "spec.ports"));
                break;
            case ("apiextensions.k8s.io", "customresourcedefinitions"):
                CheckCrd(obj, name, errors);
                break;
        }
        return errors;
    }

    private static void Supported(List<StatusCause> errors, string? value, string field, params string[] supported)
    {
        if (value is null || supported.Contains(value)) return;
        errors.Add(new("FieldValueNotSupported", $"Unsupported value: \"{value}\": supported values: {string.Join(", ", supported.Select(s => $"\"{s}\""))}", field));
    }

    private static void CheckSelector(JsonObject obj, List<StatusCause> errors, string singular)
    {
        if (obj["spec"]?["selector"] is not JsonObject selector) return; // "Required value" comes from the schema
        var matchLabels = selector["matchLabels"] as JsonObject;
        var expressions = selector["matchExpressions"] as JsonArray;
        if ((matchLabels?.Count ?? 0) == 0 && (expressions?.Count ?? 0) == 0)
        {
            errors.Add(new("FieldValueInvalid", $"Invalid value: {selector.ToJsonString()}: empty selector is invalid for {singular}", "spec.selector"));
            return;
        }
        var templateLabels = obj["spec"]?["template"]?["metadata"]?["labels"] as JsonObject ?? [];
        var matches = (matchLabels ?? []).All(l => JsonNode.DeepEquals(templateLabels[l.Key], l.Value))
            && (expressions ?? []).OfType<JsonObject>().All(e => Selectors.ExpressionMatches(e, templateLabels));
        if (!matches)
            errors.Add(new("FieldValueInvalid", $"Invalid value: {templateLabels.ToJsonString()}: `selector` does not match template `labels`", "spec.template.metadata.labels"));
    }

    private static void CheckPodSpec(JsonObject? spec, string path, List<StatusCause> errors)
    {
        if (spec is null) return;
        if (spec["containers"] is not JsonArray { Count: > 0 } containers)
        {
            errors.Add(new("FieldValueRequired", "Required value", $"{path}.containers"));
            return;
        }
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i] as JsonObject;
            var containerPath = $"{path}.containers[{i}]";
            if (string.IsNullOrEmpty(Json.Str(container, "image")))
                errors.Add(new("FieldValueRequired", "Required value", $"{containerPath}.image"));
            // The built-in OpenAPI documents carry no enums; kube-apiserver checks these in code.
            Supported(errors, Json.Str(container, "imagePullPolicy"), $"{containerPath}.imagePullPolicy", "Always", "IfNotPresent", "Never");
            var ports = container?["ports"] as JsonArray ?? [];
            for (var p = 0; p < ports.Count; p++)
                Supported(errors, Json.Str(ports[p], "protocol"), $"{containerPath}.ports[{p}].protocol", "SCTP", "TCP", "UDP");
            var containerName = Json.Str(container, "name");
            if (containerName is not null && !DnsLabel().IsMatch(containerName))
                errors.Add(new("FieldValueInvalid", $"Invalid value: \"{containerName}\": {LabelMessage}", $"{containerPath}.name"));
            foreach (var part in new[] { "limits", "requests" })
            {
                if (container?["resources"]?[part] is not JsonObject quantities) continue;
                foreach (var (resource, value) in quantities)
                {
                    var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
                    if (!Quantity().IsMatch(text))
                        errors.Add(new("FieldValueInvalid", $"Invalid value: \"{text}\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", $"{containerPath}.resources.{part}[{resource}]"));
                }
            }
        }
    }

    private static void CheckCrd(JsonObject crd, string name, List<StatusCause> errors)
    {
        var group = Json.Str(crd, "spec", "group");
        var plural = Json.Str(crd, "spec", "names", "plural");
        if (group is not null && plural is not null && name != $"{plural}.{group}")
            errors.Add(new("FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group", "metadata.name"));
        var versions = crd["spec"]?["versions"] as JsonArray ?? [];
        if (versions.Count > 0 && versions.Count(v => v?["storage"]?.GetValue<bool>() == true) != 1)
            errors.Add(new("FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version", "spec.versions"));
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i]?["schema"]?["openAPIV3Schema"] is null)
                errors.Add(new("FieldValueRequired", "Required value: schemas are required", $"spec.versions[{i}].schema.openAPIV3Schema"));
        }
    }
}
