using System.Collections.Frozen;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Portal.Emulator.Kubernetes.Specs;

/// <summary>
/// The upstream Kubernetes OpenAPI v3 documents and CRDs, loaded once. The built-in resource types are derived
/// from the documents' paths (so adding a group version is adding its document), never retyped here.
/// </summary>
public sealed partial class KubernetesSpecs
{
    // Parsing 4 MB of OpenAPI takes a moment: share it across every emulator host a test run starts.
    private static readonly Lock CacheGate = new();
    private static readonly Dictionary<string, Loaded> Cache = new(StringComparer.Ordinal);

    private readonly Loaded _loaded;

    public KubernetesSpecs(IOptions<KubernetesEmulatorOptions> options)
    {
        var directory = options.Value.SpecsDirectory ?? FindSpecsDirectory()
            ?? throw new InvalidOperationException("The specs folder was not found: set Emulator:Kubernetes:SpecsDirectory, or copy shared/specs next to the binaries.");
        lock (CacheGate)
        {
            if (!Cache.TryGetValue(directory, out var loaded))
            {
                loaded = Load(directory);
                Cache[directory] = loaded;
            }
            _loaded = loaded;
        }
    }

    public string SpecsDirectory => _loaded.Directory;

    /// <summary>Group versions served from documents, keyed like <c>/openapi/v3</c>: <c>api/v1</c>, <c>apis/apps/v1</c>.</summary>
    public IReadOnlyDictionary<string, string> OpenApiFiles => _loaded.Files;

    public IReadOnlyList<ResourceType> BuiltInTypes => _loaded.Types;

    /// <summary>The ObjectMeta schema every object's metadata is checked against, CRDs' too.</summary>
    public SchemaRoot ObjectMeta => _loaded.ObjectMeta;

    /// <summary>The CustomResourceDefinition files shipped with the specs (Argo CD, KEDA, Karpenter, Spark, Prometheus).</summary>
    public IReadOnlyList<string> UpstreamCrdFiles =>
        Directory.Exists(Path.Combine(_loaded.Directory, "crds"))
            ? Directory.GetFiles(Path.Combine(_loaded.Directory, "crds"), "*.yaml").Order(StringComparer.Ordinal).ToArray()
            : [];

    public static string? FindSpecsDirectory()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "specs");
        if (Directory.Exists(Path.Combine(beside, "kubernetes"))) return beside;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var shared = Path.Combine(dir.FullName, "shared", "specs");
            if (Directory.Exists(Path.Combine(shared, "kubernetes"))) return shared;
        }
        return null;
    }

    private sealed record Loaded(string Directory, FrozenDictionary<string, string> Files, IReadOnlyList<ResourceType> Types, SchemaRoot ObjectMeta);

    private static Loaded Load(string directory)
    {
        var versionDir = System.IO.Directory.GetDirectories(Path.Combine(directory, "kubernetes"))
            .OrderByDescending(d => d, StringComparer.Ordinal).First();
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var types = new List<ResourceType>();
        SchemaRoot? objectMeta = null;
        foreach (var file in System.IO.Directory.GetFiles(versionDir, "*_openapi.json"))
        {
            // api__v1_openapi.json -> api/v1; apis__apps__v1_openapi.json -> apis/apps/v1
            var key = Path.GetFileName(file)[..^"_openapi.json".Length].Replace("__", "/", StringComparison.Ordinal);
            files[key] = file;
            var doc = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            var components = doc["components"]?["schemas"]?.AsObject() ?? [];
            types.AddRange(TypesOf(doc, components));
            if (objectMeta is null && components["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"] is JsonObject meta)
                objectMeta = new SchemaRoot(meta, components, Structural: false);
        }
        return new Loaded(directory, files.ToFrozenDictionary(), types,
            objectMeta ?? throw new InvalidOperationException("No OpenAPI document defines ObjectMeta."));
    }

    [GeneratedRegex(@"^/(?:api|apis/(?<group>[^/]+))/(?<version>[^/]+)/(?<ns>namespaces/\{namespace\}/)?(?<plural>[a-z0-9]+)$")]
    private static partial Regex CollectionPath();

    private static IEnumerable<ResourceType> TypesOf(JsonObject doc, JsonObject components)
    {
        var paths = doc["paths"]!.AsObject();
        foreach (var (path, item) in paths)
        {
            var match = CollectionPath().Match(path);
            if (!match.Success || item is not JsonObject collection) continue;
            var plural = match.Groups["plural"].Value;
            var namespaced = match.Groups["ns"].Success;
            // A cluster-wide list of a namespaced type (/api/v1/pods) is not a type of its own.
            if (!namespaced && collection["post"] is null) continue;
            var itemPath = $"{path}/{{name}}";
            var single = paths[itemPath] as JsonObject;
            var gvk = (collection["post"] ?? collection["get"])?["x-kubernetes-group-version-kind"];
            var kind = (string?)gvk?["kind"];
            if (kind is null || kind.EndsWith("List", StringComparison.Ordinal) && collection["post"] is null) continue;
            var schemaName = SchemaNameFor(components, gvk!);
            if (schemaName is null || components[schemaName] is not JsonObject schema) continue;

            var verbs = new List<string>();
            if (collection["post"] is not null) verbs.Add("create");
            if (collection["delete"] is not null) verbs.Add("deletecollection");
            if (single?["get"] is not null) verbs.Add("get");
            if (collection["get"] is not null) { verbs.Add("list"); verbs.Add("watch"); }
            if (single?["patch"] is not null) verbs.Add("patch");
            if (single?["put"] is not null) verbs.Add("update");
            if (single?["delete"] is not null) verbs.Add("delete");
            if (verbs.Count == 0 || !verbs.Contains("get") && !verbs.Contains("create")) continue;

            var deleteReturns = (string?)single?["delete"]?["responses"]?["200"]?["content"]?["application/json"]?["schema"]?["$ref"];
            var group = match.Groups["group"].Success ? match.Groups["group"].Value : "";
            yield return new ResourceType(
                group, match.Groups["version"].Value, plural, kind.ToLowerInvariant(), kind, namespaced, verbs,
                ShortNamesOf(plural), CategoriesOf(group, plural),
                HasStatus: paths[$"{itemPath}/status"] is not null,
                HasScale: paths[$"{itemPath}/scale"] is not null,
                IsCustom: false,
                DeleteReturnsObject: deleteReturns is not null && !deleteReturns.EndsWith(".Status", StringComparison.Ordinal),
                new SchemaRoot(schema, components, Structural: false));
        }
    }

    private static string? SchemaNameFor(JsonObject components, JsonNode gvk)
    {
        foreach (var (name, schema) in components)
        {
            if (schema?["x-kubernetes-group-version-kind"] is not JsonArray kinds) continue;
            foreach (var k in kinds)
            {
                if ((string?)k?["group"] == (string?)gvk["group"] && (string?)k?["version"] == (string?)gvk["version"]
                    && (string?)k?["kind"] == (string?)gvk["kind"])
                    return name;
            }
        }
        return null;
    }

    // Discovery carries short names and categories, which the OpenAPI documents do not: kubectl users type them.
    private static string[] ShortNamesOf(string plural) => plural switch
    {
        "configmaps" => ["cm"],
        "endpoints" => ["ep"],
        "events" => ["ev"],
        "limitranges" => ["limits"],
        "namespaces" => ["ns"],
        "nodes" => ["no"],
        "persistentvolumeclaims" => ["pvc"],
        "persistentvolumes" => ["pv"],
        "pods" => ["po"],
        "replicationcontrollers" => ["rc"],
        "resourcequotas" => ["quota"],
        "serviceaccounts" => ["sa"],
        "services" => ["svc"],
        "daemonsets" => ["ds"],
        "deployments" => ["deploy"],
        "replicasets" => ["rs"],
        "statefulsets" => ["sts"],
        "horizontalpodautoscalers" => ["hpa"],
        "ingresses" => ["ing"],
        "networkpolicies" => ["netpol"],
        "poddisruptionbudgets" => ["pdb"],
        "customresourcedefinitions" => ["crd", "crds"],
        _ => [],
    };

    private static string[] CategoriesOf(string group, string plural) => (group, plural) switch
    {
        ("", "pods" or "services" or "replicationcontrollers") => ["all"],
        ("apps", "deployments" or "replicasets" or "statefulsets" or "daemonsets") => ["all"],
        ("autoscaling", "horizontalpodautoscalers") => ["all"],
        _ => [],
    };
}
