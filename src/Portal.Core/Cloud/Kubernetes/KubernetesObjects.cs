using System.Collections.Concurrent;
using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Portal.Core.Cloud.Kubernetes;

/// <summary>
/// What the portal does to Kubernetes objects: server-side apply as field manager <c>unicron-portal</c> with
/// <c>force</c> (the portal owns what it writes and takes fields back from whoever changed them), reads and deletes
/// where a 404 means "absent" rather than an error. Objects are routed by <c>apiVersion</c> and <c>kind</c>:
/// named API groups through the API's own discovery (so CRDs such as Argo CD Applications work), the core group
/// through KubernetesClient's typed operations.
/// </summary>
public static class KubernetesObjects
{
    public const string FieldManager = "unicron-portal";

    /// <summary>
    /// Applies ask for strict field validation, as kubectl does: by default kube-apiserver drops a field it does not
    /// know with only a warning, so a misspelt field in a rendered object would silently do nothing. Strict makes it a 400.
    /// </summary>
    public const string FieldValidation = "Strict";

    // Discovery answers per API server and group/version, for the whole process: the set of resources of a live cluster
    // rarely changes, and a missing kind (a CRD installed later) triggers one fresh lookup. Keyed by the server's address,
    // not the client: reconcilers build a client per run, and a discovery call per run was a third of an idle add-on
    // check's reads. A kind that went away (CRD deleted) costs nothing: the object call itself answers 404.
    private static readonly ConcurrentDictionary<string, V1APIResourceList> Discovery = new(StringComparer.Ordinal);

    /// <summary>Applies a typed object (apiVersion and kind default to the type's own) and returns what the server holds.</summary>
    public static async Task<T> ApplyAsync<T>(this IKubernetes client, T value, CancellationToken ct = default)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var manifest = JsonNode.Parse(KubernetesJson.Serialize(value))!.AsObject();
        if (typeof(T).GetCustomAttribute<KubernetesEntityAttribute>() is { } entity)
        {
            // The generated models leave both empty unless the caller sets them; the type knows them.
            manifest["apiVersion"] ??= string.IsNullOrEmpty(entity.Group) ? entity.ApiVersion : $"{entity.Group}/{entity.ApiVersion}";
            manifest["kind"] ??= entity.Kind;
        }
        var applied = await client.ApplyAsync(manifest, ct);
        return KubernetesJson.Deserialize<T>(applied.ToJsonString());
    }

    /// <summary>Applies one manifest (a JSON object with apiVersion, kind and metadata.name) and returns what the server holds.</summary>
    public static async Task<JsonObject> ApplyAsync(this IKubernetes client, JsonObject manifest, CancellationToken ct = default)
    {
        var target = await ResolveAsync(client, manifest, ct);
        var patch = new V1Patch(manifest.ToJsonString(), V1Patch.PatchType.ApplyPatch);
        object result = target switch
        {
            { Group: "" } => await Core(target.Kind).ApplyAsync(client, patch, target.Name, target.Namespace, ct),
            { Namespace: { } ns } => await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, target.Group, target.Version, ns, target.Plural, target.Name,
                fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            _ => await client.CustomObjects.PatchClusterCustomObjectAsync(patch, target.Group, target.Version, target.Plural, target.Name,
                fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
        };
        return ToJson(result);
    }

    /// <summary>The object, or null when it does not exist.</summary>
    public static async Task<JsonObject?> GetAsync(this IKubernetes client, string apiVersion, string kind, string name, string? @namespace = null, CancellationToken ct = default)
    {
        var target = await ResolveAsync(client, Reference(apiVersion, kind, name, @namespace), ct);
        var result = await NullIfNotFoundAsync(target switch
        {
            { Group: "" } => Core(target.Kind).ReadAsync(client, target.Name, target.Namespace, ct),
            { Namespace: { } ns } => client.CustomObjects.GetNamespacedCustomObjectAsync(target.Group, target.Version, ns, target.Plural, target.Name, ct),
            _ => client.CustomObjects.GetClusterCustomObjectAsync(target.Group, target.Version, target.Plural, target.Name, ct),
        });
        return result is null ? null : ToJson(result);
    }

    /// <summary>
    /// Every object of a custom kind in one namespace, by name, in one call; null when the cluster does not serve the
    /// kind (its CRD is not installed). One list instead of a read per object is what keeps a settled fleet cheap.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, JsonObject>?> ListAsync(this IKubernetes client, string apiVersion, string kind, string @namespace, CancellationToken ct = default)
    {
        var slash = apiVersion.IndexOf('/');
        if (slash < 0) throw new NotSupportedException($"Listing core kinds ({kind}) is not needed yet; only custom resources are listed.");
        var (group, version) = (apiVersion[..slash], apiVersion[(slash + 1)..]);
        var resource = await FindAsync(client, group, version, kind, refresh: false, ct) ?? await FindAsync(client, group, version, kind, refresh: true, ct);
        if (resource is null) return null;
        var list = await NullIfNotFoundAsync(client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, @namespace, resource.Name, cancellationToken: ct));
        if (list is null) return null;
        var items = ToJson(list)["items"] as JsonArray ?? [];
        return items.OfType<JsonObject>()
            .Where(i => (string?)i["metadata"]?["name"] is not null)
            .ToDictionary(i => (string)i["metadata"]!["name"]!, i => i, StringComparer.Ordinal);
    }

    /// <summary>Deletes the object (in the background, as kubectl does); false when it was already gone.</summary>
    public static async Task<bool> DeleteAsync(this IKubernetes client, string apiVersion, string kind, string name, string? @namespace = null, CancellationToken ct = default)
    {
        var target = await ResolveAsync(client, Reference(apiVersion, kind, name, @namespace), ct);
        var result = await NullIfNotFoundAsync(target switch
        {
            { Group: "" } => Core(target.Kind).DeleteAsync(client, target.Name, target.Namespace, ct),
            { Namespace: { } ns } => client.CustomObjects.DeleteNamespacedCustomObjectAsync(target.Group, target.Version, ns, target.Plural, target.Name,
                propagationPolicy: "Background", cancellationToken: ct),
            _ => client.CustomObjects.DeleteClusterCustomObjectAsync(target.Group, target.Version, target.Plural, target.Name,
                propagationPolicy: "Background", cancellationToken: ct),
        });
        return result is not null;
    }

    /// <summary>The call's result, or null when Kubernetes answered 404: for a reconciler "absent" is information.</summary>
    public static async Task<T?> NullIfNotFoundAsync<T>(this Task<T> call) where T : class
    {
        try
        {
            return await call;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public static bool IsNotFound(this HttpOperationException e) => e.Response.StatusCode == HttpStatusCode.NotFound;

    public static bool IsConflict(this HttpOperationException e) => e.Response.StatusCode == HttpStatusCode.Conflict;

    private sealed record Target(string Group, string Version, string Kind, string Plural, string Name, string? Namespace);

    private static JsonObject Reference(string apiVersion, string kind, string name, string? @namespace) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
    };

    private static async Task<Target> ResolveAsync(IKubernetes client, JsonObject manifest, CancellationToken ct)
    {
        var apiVersion = (string?)manifest["apiVersion"] ?? throw new ArgumentException("The object has no apiVersion.", nameof(manifest));
        var kind = (string?)manifest["kind"] ?? throw new ArgumentException("The object has no kind.", nameof(manifest));
        var name = (string?)manifest["metadata"]?["name"] ?? throw new ArgumentException($"The {kind} has no metadata.name.", nameof(manifest));
        var ns = (string?)manifest["metadata"]?["namespace"];
        var slash = apiVersion.IndexOf('/');
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);

        if (group.Length == 0)
        {
            var core = Core(kind);
            return new Target("", version, kind, core.Plural, name, core.Namespaced ? ns ?? "default" : null);
        }

        var resource = await FindAsync(client, group, version, kind, refresh: false, ct) ?? await FindAsync(client, group, version, kind, refresh: true, ct)
            ?? throw new InvalidOperationException($"The cluster does not serve {kind} in {apiVersion} (is its CRD installed?).");
        return new Target(group, version, kind, resource.Name, name, resource.Namespaced ? ns ?? "default" : null);
    }

    private static async Task<V1APIResource?> FindAsync(IKubernetes client, string group, string version, string kind, bool refresh, CancellationToken ct)
    {
        var key = $"{client.BaseUri}|{group}/{version}";
        if (refresh || !Discovery.TryGetValue(key, out var list))
        {
            list = await NullIfNotFoundAsync(client.CustomObjects.GetAPIResourcesAsync(group, version, ct));
            if (list is null) return null;
            Discovery[key] = list;
        }
        // Subresources (deployments/scale) share the kind of their parent; the parent has no slash.
        return list.Resources.FirstOrDefault(r => r.Kind == kind && !r.Name.Contains('/'));
    }

    private static JsonObject ToJson(object result) => JsonNode.Parse(KubernetesJson.Serialize(result))!.AsObject();

    // The core group ("v1") lives under /api, which CustomObjects cannot address: route its kinds through the typed operations.
    private sealed record CoreKind(
        string Plural,
        bool Namespaced,
        Func<IKubernetes, V1Patch, string, string?, CancellationToken, Task<object>> ApplyAsync,
        Func<IKubernetes, string, string?, CancellationToken, Task<object>> ReadAsync,
        Func<IKubernetes, string, string?, CancellationToken, Task<object>> DeleteAsync);

    private static readonly Dictionary<string, CoreKind> CoreKinds = new()
    {
        ["Namespace"] = new("namespaces", false,
            async (k, p, n, _, ct) => await k.CoreV1.PatchNamespaceAsync(p, n, fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            async (k, n, _, ct) => await k.CoreV1.ReadNamespaceAsync(n, cancellationToken: ct),
            async (k, n, _, ct) => await k.CoreV1.DeleteNamespaceAsync(n, propagationPolicy: "Background", cancellationToken: ct)),
        ["ConfigMap"] = new("configmaps", true,
            async (k, p, n, ns, ct) => await k.CoreV1.PatchNamespacedConfigMapAsync(p, n, ns, fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.ReadNamespacedConfigMapAsync(n, ns, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.DeleteNamespacedConfigMapAsync(n, ns, cancellationToken: ct)),
        ["Secret"] = new("secrets", true,
            async (k, p, n, ns, ct) => await k.CoreV1.PatchNamespacedSecretAsync(p, n, ns, fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.ReadNamespacedSecretAsync(n, ns, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.DeleteNamespacedSecretAsync(n, ns, cancellationToken: ct)),
        ["Service"] = new("services", true,
            async (k, p, n, ns, ct) => await k.CoreV1.PatchNamespacedServiceAsync(p, n, ns, fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.ReadNamespacedServiceAsync(n, ns, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.DeleteNamespacedServiceAsync(n, ns, cancellationToken: ct)),
        ["ServiceAccount"] = new("serviceaccounts", true,
            async (k, p, n, ns, ct) => await k.CoreV1.PatchNamespacedServiceAccountAsync(p, n, ns, fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.ReadNamespacedServiceAccountAsync(n, ns, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.DeleteNamespacedServiceAccountAsync(n, ns, cancellationToken: ct)),
        ["ResourceQuota"] = new("resourcequotas", true,
            async (k, p, n, ns, ct) => await k.CoreV1.PatchNamespacedResourceQuotaAsync(p, n, ns, fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.ReadNamespacedResourceQuotaAsync(n, ns, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.DeleteNamespacedResourceQuotaAsync(n, ns, cancellationToken: ct)),
        ["LimitRange"] = new("limitranges", true,
            async (k, p, n, ns, ct) => await k.CoreV1.PatchNamespacedLimitRangeAsync(p, n, ns, fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.ReadNamespacedLimitRangeAsync(n, ns, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.DeleteNamespacedLimitRangeAsync(n, ns, cancellationToken: ct)),
        ["PersistentVolumeClaim"] = new("persistentvolumeclaims", true,
            async (k, p, n, ns, ct) => await k.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(p, n, ns, fieldManager: FieldManager, fieldValidation: FieldValidation, force: true, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(n, ns, cancellationToken: ct),
            async (k, n, ns, ct) => await k.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(n, ns, cancellationToken: ct)),
    };

    private static CoreKind Core(string kind) => CoreKinds.TryGetValue(kind, out var core)
        ? core
        : throw new NotSupportedException($"Core kind {kind} is not routed by {nameof(KubernetesObjects)}; add it to {nameof(CoreKinds)}.");
}
