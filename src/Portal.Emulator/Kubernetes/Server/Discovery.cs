using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Portal.Emulator.Kubernetes.Specs;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Kubernetes.Server;

/// <summary>
/// The discovery documents (<c>/version</c>, <c>/api</c>, <c>/apis</c>, group versions) and <c>/openapi/v3</c>:
/// built-in group versions are served from the upstream documents byte for byte; CRD group versions (and
/// batch/v1, which has no upstream document here) get a generated document with their schemas and the
/// PATCH parameters kubectl looks for before it trusts server-side field validation.
/// </summary>
public sealed class Discovery(KubernetesSpecs specs)
{
    private readonly ConcurrentDictionary<string, (string Hash, byte[] Bytes)> _files = new(StringComparer.Ordinal);

    public static JsonObject Version(EmulatedCluster cluster)
    {
        var parts = cluster.KubernetesVersion.Split('.');
        return new JsonObject
        {
            ["major"] = parts[0],
            ["minor"] = parts.Length > 1 ? parts[1] : "0",
            ["gitVersion"] = $"v{cluster.KubernetesVersion}.0-eks-emulator",
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "go1.24.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    public static JsonObject ApiVersions(string host) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = host }),
    };

    public static JsonObject GroupList(ServedTypes types) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(types.Groups.Select(g => (JsonNode)Group(types, g)).ToArray()),
    };

    public static JsonObject Group(ServedTypes types, string group)
    {
        var versions = types.All.Where(t => t.Group == group).Select(t => t.Version).Distinct().ToList();
        JsonObject Version(string v) => new() { ["groupVersion"] = $"{group}/{v}", ["version"] = v };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)Version(v)).ToArray()),
            ["preferredVersion"] = Version(versions[0]),
        };
    }

    public static JsonObject ResourceList(ServedTypes types, string group, string version)
    {
        var resources = new JsonArray();
        foreach (var t in types.All.Where(t => t.Group == group && t.Version == version).OrderBy(t => t.Plural, StringComparer.Ordinal))
        {
            var entry = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = new JsonArray(t.Verbs.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
            };
            if (t.ShortNames.Count > 0) entry["shortNames"] = new JsonArray(t.ShortNames.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
            if (t.Categories.Count > 0) entry["categories"] = new JsonArray(t.Categories.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
            resources.Add(entry);
            if (t.HasStatus)
                resources.Add(new JsonObject { ["name"] = $"{t.Plural}/status", ["singularName"] = "", ["namespaced"] = t.Namespaced, ["kind"] = t.Kind, ["verbs"] = new JsonArray("get", "patch", "update") });
            if (t.HasScale)
                resources.Add(new JsonObject { ["name"] = $"{t.Plural}/scale", ["singularName"] = "", ["namespaced"] = t.Namespaced, ["group"] = "autoscaling", ["version"] = "v1", ["kind"] = "Scale", ["verbs"] = new JsonArray("get", "patch", "update") });
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    /// <summary>The <c>/openapi/v3</c> index: one entry per group version with a content hash, as kubectl caches by it.</summary>
    public JsonObject OpenApiIndex(ServedTypes types)
    {
        var paths = new JsonObject();
        foreach (var key in GroupVersionKeys(types))
        {
            var (hash, _) = OpenApiDocument(types, key)!.Value;
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    private static IEnumerable<string> GroupVersionKeys(ServedTypes types) =>
        types.All.Select(t => t.Group.Length == 0 ? $"api/{t.Version}" : $"apis/{t.Group}/{t.Version}").Distinct().Order(StringComparer.Ordinal);

    public (string Hash, byte[] Bytes)? OpenApiDocument(ServedTypes types, string key)
    {
        if (specs.OpenApiFiles.TryGetValue(key, out var file))
            return _files.GetOrAdd(key, _ => Hashed(File.ReadAllBytes(file)));
        var parts = key.Split('/');
        if (parts.Length != 3 || parts[0] != "apis") return null;
        var generated = types.All.Where(t => t.Group == parts[1] && t.Version == parts[2]).ToList();
        if (generated.Count == 0) return null;
        return Hashed(Encoding.UTF8.GetBytes(Generate(generated).ToJsonString()));
    }

    private static (string, byte[]) Hashed(byte[] bytes) => (Convert.ToHexString(SHA512.HashData(bytes)).ToUpperInvariant(), bytes);

    private static JsonObject Generate(List<ResourceType> types)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var t in types)
        {
            var gvk = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind };
            var schemaName = $"{string.Join('.', t.Group.Split('.').Reverse())}.{t.Version}.{t.Kind}";
            var schema = (JsonObject)t.Schema.Schema.DeepClone();
            if (t.Schema.Components is not null) schema = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
            schemas[schemaName] = schema;
            var reference = new JsonObject { ["$ref"] = $"#/components/schemas/{schemaName}" };
            JsonObject Param(string name) => new() { ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } };
            JsonObject Operation(string action, params string[] parameters) => new()
            {
                ["operationId"] = $"{action}{t.Kind}",
                ["parameters"] = new JsonArray(parameters.Select(p => (JsonNode)Param(p)).ToArray()),
                ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK", ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = reference.DeepClone() } } } },
                ["x-kubernetes-action"] = action,
                ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
            };
            var collection = t.Namespaced ? $"/apis/{t.Group}/{t.Version}/namespaces/{{namespace}}/{t.Plural}" : $"/apis/{t.Group}/{t.Version}/{t.Plural}";
            paths[collection] = new JsonObject
            {
                ["get"] = Operation("list", "labelSelector", "fieldSelector", "watch", "resourceVersion"),
                ["post"] = Operation("post", "dryRun", "fieldManager", "fieldValidation"),
                ["delete"] = Operation("deletecollection", "labelSelector", "fieldSelector", "dryRun"),
            };
            paths[$"{collection}/{{name}}"] = new JsonObject
            {
                ["get"] = Operation("get"),
                ["put"] = Operation("put", "dryRun", "fieldManager", "fieldValidation"),
                ["patch"] = Operation("patch", "dryRun", "fieldManager", "fieldValidation", "force"),
                ["delete"] = Operation("delete", "dryRun", "gracePeriodSeconds", "propagationPolicy"),
            };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "unversioned" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }
}
