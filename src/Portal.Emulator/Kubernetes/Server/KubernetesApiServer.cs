using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Emulator.Kubernetes.Specs;
using Portal.Emulator.Kubernetes.Store;
using Portal.Emulator.Kubernetes.Validation;

namespace Portal.Emulator.Kubernetes.Server;

/// <summary>How a write was asked for: the query parameters every mutating call carries.</summary>
/// <param name="FieldValidation">Strict, Warn (kube-apiserver's default) or Ignore.</param>
/// <param name="FieldManagerGiven">Whether the caller named a field manager (apply requires it).</param>
public sealed record WriteOptions(string FieldManager, string FieldValidation = "Warn", bool DryRun = false, bool Force = false, bool FieldManagerGiven = true)
{
    public static WriteOptions System(string manager) => new(manager, "Ignore");
}

/// <summary>
/// The storage and admission half of an apiserver: create, read, list, update, patch (merge, strategic, JSON,
/// apply) and delete, with validation, defaulting, resourceVersion concurrency, generation, managed fields,
/// finalizers and namespaces. The HTTP layer and the simulated controllers both write through it.
/// </summary>
public sealed class KubernetesApiServer(KubernetesStore store, ResourceCatalog catalog, KubernetesSpecs specs, TimeProvider clock)
{
    public KubernetesStore Store => store;

    public ServedTypes Types(ClusterStore cluster) => catalog.For(cluster);

    private string Now() => KubernetesStore.Timestamp(clock.GetUtcNow());

    private SchemaCursor Cursor(ResourceType type) => SchemaCursor.ForResource(type, specs.ObjectMeta);

    /// <summary>An object as the type's version presents it (CRD versions share storage; no conversion).</summary>
    private static JsonObject Present(JsonObject obj, ResourceType type)
    {
        var result = new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind };
        foreach (var (name, value) in obj)
            if (name is not ("apiVersion" or "kind")) result[name] = value?.DeepClone();
        return result;
    }

    public JsonObject Get(ClusterStore cluster, ResourceType type, string? ns, string name) =>
        cluster.Get(type.StorageKey, ns, name) is { } obj ? Present(obj, type) : throw KubeStatus.NotFound(type.Group, type.Plural, name);

    public JsonObject List(ClusterStore cluster, ResourceType type, string? ns, string? labelSelector, string? fieldSelector)
    {
        var label = Selectors.Label(labelSelector);
        var field = Selectors.Field(fieldSelector, type.StorageKey);
        long rv;
        List<JsonObject> items;
        lock (cluster.Gate)
        {
            rv = cluster.ResourceVersion;
            items = cluster.List(type.StorageKey, ns);
        }
        var selected = items.Where(o => (label?.Invoke(o) ?? true) && (field?.Invoke(o) ?? true)).Select(o => (JsonNode)Present(o, type));
        return new JsonObject
        {
            ["apiVersion"] = type.ApiVersion,
            ["kind"] = type.ListKind,
            ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray(selected.ToArray()),
        };
    }

    public JsonObject Create(ClusterStore cluster, ResourceType type, string? ns, JsonObject body, WriteOptions options, List<string> warnings)
    {
        lock (cluster.Gate) return CreateLocked(cluster, type, ns, Json.Clone(body), options, warnings, managedFieldsSet: false);
    }

    private JsonObject CreateLocked(ClusterStore cluster, ResourceType type, string? ns, JsonObject obj, WriteOptions options, List<string> warnings, bool managedFieldsSet)
    {
        CheckTypeMeta(type, obj);
        var metadata = Json.Metadata(obj);
        SetNamespace(type, ns, metadata);
        if (Json.Str(metadata, "name") is not { Length: > 0 })
        {
            if (Json.Str(metadata, "generateName") is { Length: > 0 } prefix) metadata["name"] = prefix + RandomSuffix();
            else throw KubeStatus.Invalid(type.Kind, type.Group, null, [new("FieldValueRequired", "Required value: name or generateName is required", "metadata.name")]);
        }
        var name = Json.Str(metadata, "name")!;
        if (Json.Str(metadata, "resourceVersion") is { Length: > 0 })
            throw KubeStatus.BadRequest("resourceVersion should not be set on objects to be created");
        foreach (var serverField in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink" })
            metadata.Remove(serverField);
        if (!managedFieldsSet) metadata.Remove("managedFields");
        if (type.HasStatus && type.Kind != "Namespace") obj.Remove("status");

        Admit(type, obj, options, warnings);

        if (cluster.Get(type.StorageKey, ns, name) is not null) throw KubeStatus.AlreadyExists(type.Group, type.Plural, name);
        if (type.Namespaced) CheckNamespaceOpen(cluster, ns!);

        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Now();
        if (type.TracksGeneration) metadata["generation"] = 1;
        InitializeStatus(cluster, type, obj);
        if (!managedFieldsSet)
            FieldManager.Write(obj, FieldManager.RecordUpdate(null, obj, options.FieldManager, type.ApiVersion, Now(), Cursor(type)));
        if (options.DryRun) return Present(obj, type);
        return Present(cluster.Put(type.StorageKey, obj, "ADDED"), type);
    }

    /// <summary>PUT: the whole object, or only its status through the status subresource.</summary>
    public JsonObject Replace(ClusterStore cluster, ResourceType type, string? ns, string name, JsonObject body, WriteOptions options, List<string> warnings, string? subresource = null)
    {
        lock (cluster.Gate)
        {
            var old = cluster.Get(type.StorageKey, ns, name) ?? throw KubeStatus.NotFound(type.Group, type.Plural, name);
            var candidate = Json.Clone(body);
            CheckTypeMeta(type, candidate);
            var metadata = Json.Metadata(candidate);
            if (Json.Str(metadata, "name") is { } bodyName && bodyName != name)
                throw KubeStatus.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            metadata["name"] = name;
            SetNamespace(type, ns, metadata);
            if (Json.Str(metadata, "resourceVersion") is { Length: > 0 } rv && rv != Json.Str(old, "metadata", "resourceVersion"))
                throw KubeStatus.StaleResourceVersion(type.Group, type.Plural, name);
            return UpdateLocked(cluster, type, old, candidate, options, warnings, subresource, managedFieldsSet: false);
        }
    }

    public JsonObject Patch(ClusterStore cluster, ResourceType type, string? ns, string name, string contentType, string body, WriteOptions options, List<string> warnings, string? subresource = null)
    {
        var mediaType = contentType.Split(';')[0].Trim().ToLowerInvariant();
        JsonNode? patch;
        try { patch = Json.ParseJsonOrYaml(body); }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw KubeStatus.BadRequest($"error decoding patch: {e.Message}");
        }
        lock (cluster.Gate)
        {
            var old = cluster.Get(type.StorageKey, ns, name);
            if (mediaType == "application/apply-patch+yaml") return ApplyLocked(cluster, type, ns, name, old, patch, options, warnings, subresource);
            if (old is null) throw KubeStatus.NotFound(type.Group, type.Plural, name);
            var patched = mediaType switch
            {
                "application/merge-patch+json" => Patches.MergePatch(old, patch) as JsonObject,
                "application/strategic-merge-patch+json" when type.IsCustom => throw KubeStatus.UnsupportedMediaType(mediaType),
                "application/strategic-merge-patch+json" => Patches.StrategicMergePatch(old, patch, Cursor(type)) as JsonObject,
                "application/json-patch+json" => Patches.JsonPatch(old, patch) as JsonObject,
                _ => throw KubeStatus.UnsupportedMediaType(mediaType),
            } ?? throw KubeStatus.BadRequest("the patch did not produce an object");
            var metadata = Json.Metadata(patched);
            if (Json.Str(metadata, "name") != name || Json.Str(metadata, "namespace") != Json.Str(old, "metadata", "namespace"))
                throw KubeStatus.BadRequest("metadata.name and metadata.namespace cannot be changed by a patch");
            if (Json.Str(metadata, "resourceVersion") is { Length: > 0 } rv && rv != Json.Str(old, "metadata", "resourceVersion"))
                throw KubeStatus.StaleResourceVersion(type.Group, type.Plural, name);
            return UpdateLocked(cluster, type, old, patched, options, warnings, subresource, managedFieldsSet: false);
        }
    }

    private JsonObject ApplyLocked(ClusterStore cluster, ResourceType type, string? ns, string name, JsonObject? old, JsonNode? patch, WriteOptions options, List<string> warnings, string? subresource)
    {
        if (!options.FieldManagerGiven)
            throw KubeStatus.Invalid("PatchOptions", "meta.k8s.io", "", [new("FieldValueRequired", "Required value: is required for apply patch", "fieldManager")]);
        if (patch is not JsonObject config) throw KubeStatus.BadRequest("the apply configuration must be an object");
        if (Json.Str(config, "apiVersion") is not { } apiVersion || Json.Str(config, "kind") is not { } kind)
            throw KubeStatus.BadRequest($"invalid object type: {Json.Str(config, "apiVersion")}, Kind={Json.Str(config, "kind")}");
        if (apiVersion != type.ApiVersion || kind != type.Kind)
            throw KubeStatus.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        var metadata = Json.Metadata(config);
        if (Json.Str(metadata, "name") is { } configName && configName != name)
            throw KubeStatus.BadRequest($"the name of the object ({configName}) does not match the name on the URL ({name})");
        metadata["name"] = name;
        SetNamespace(type, ns, metadata);
        metadata.Remove("managedFields");
        if (subresource is null && type.HasStatus) config.Remove("status");
        if (subresource == "status")
        {
            if (old is null) throw KubeStatus.NotFound(type.Group, type.Plural, name);
            var withStatus = Json.Clone(old);
            withStatus["status"] = FieldManager.MergeApply(old["status"], config["status"], Cursor(type).Child("status"));
            return UpdateLocked(cluster, type, old, withStatus, options, warnings, subresource, managedFieldsSet: true);
        }
        // Apply's key fields must match the defaulted live object (a port's protocol), so default the config too.
        BuiltInDefaults.Apply(type, config);
        if (Json.Str(metadata, "resourceVersion") is { Length: > 0 } rv && old is not null && rv != Json.Str(old, "metadata", "resourceVersion"))
            throw KubeStatus.StaleResourceVersion(type.Group, type.Plural, name);
        metadata.Remove("resourceVersion");
        var (merged, conflicts) = FieldManager.Apply(old, config, options.FieldManager, options.Force, type.ApiVersion, Now(), Cursor(type));
        if (conflicts.Count > 0)
        {
            var details = new JsonObject
            {
                ["name"] = name,
                ["group"] = type.Group,
                ["kind"] = type.Plural,
                ["causes"] = new JsonArray(conflicts.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = "FieldManagerConflict",
                    ["message"] = $"conflict with \"{c.Manager}\" using {c.ApiVersion}",
                    ["field"] = FieldManager.Display(c.Path),
                }).ToArray()),
            };
            throw new KubeStatusException(409, "Conflict", FieldManager.ConflictMessage(conflicts), details);
        }
        return old is null
            ? CreateLocked(cluster, type, ns, merged!, options, warnings, managedFieldsSet: true)
            : UpdateLocked(cluster, type, old, merged!, options, warnings, subresource, managedFieldsSet: true);
    }

    private JsonObject UpdateLocked(ClusterStore cluster, ResourceType type, JsonObject old, JsonObject candidate, WriteOptions options, List<string> warnings, string? subresource, bool managedFieldsSet)
    {
        JsonObject updated;
        if (subresource == "status")
        {
            // The status subresource changes status only; everything else stays as stored.
            updated = Json.Clone(old);
            if (candidate["status"] is { } status) updated["status"] = status.DeepClone();
            else updated.Remove("status");
        }
        else
        {
            updated = candidate;
            var metadata = Json.Metadata(updated);
            var oldMetadata = (JsonObject)old["metadata"]!;
            foreach (var serverField in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
            {
                if (oldMetadata[serverField] is { } value) metadata[serverField] = value.DeepClone();
                else metadata.Remove(serverField);
            }
            metadata.Remove("selfLink");
            if (!managedFieldsSet)
            {
                if (oldMetadata["managedFields"] is { } managed) metadata["managedFields"] = managed.DeepClone();
                else metadata.Remove("managedFields");
            }
            if (type.HasStatus)
            {
                if (old["status"] is { } oldStatus) updated["status"] = oldStatus.DeepClone();
                else updated.Remove("status");
            }
        }
        Admit(type, updated, options, warnings);
        if (type.Kind == "CustomResourceDefinition") InitializeStatus(cluster, type, updated);

        if (type.TracksGeneration && subresource is null && SpecChanged(type, old, updated))
            Json.Metadata(updated)["generation"] = (Json.Long(old, "metadata", "generation") ?? 0) + 1;
        if (!managedFieldsSet && subresource is null)
            FieldManager.Write(updated, FieldManager.RecordUpdate(old, updated, options.FieldManager, type.ApiVersion, Now(), Cursor(type)));

        if (Equivalent(old, updated)) return Present(old, type); // a no-op write keeps its resourceVersion, as in kube
        if (options.DryRun) return Present(updated, type);
        if (updated["metadata"]?["deletionTimestamp"] is not null && !HasFinalizers(type, updated))
        {
            cluster.Remove(type.StorageKey, Json.Str(updated, "metadata", "namespace"), Json.Str(updated, "metadata", "name")!);
            return Present(updated, type);
        }
        return Present(cluster.Put(type.StorageKey, updated, "MODIFIED"), type);
    }

    /// <summary>DELETE: with finalizers the object only gets a deletionTimestamp; namespaces always terminate first.</summary>
    public JsonObject Delete(ClusterStore cluster, ResourceType type, string? ns, string name, JsonObject? deleteOptions, bool dryRun)
    {
        lock (cluster.Gate)
        {
            var obj = cluster.Get(type.StorageKey, ns, name) ?? throw KubeStatus.NotFound(type.Group, type.Plural, name);
            if (Json.Str(deleteOptions, "preconditions", "uid") is { } uid && uid != Json.Str(obj, "metadata", "uid"))
                throw KubeStatus.Conflict(type.Group, type.Plural, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {Json.Str(obj, "metadata", "uid")}");
            if (Json.Str(deleteOptions, "preconditions", "resourceVersion") is { } rv && rv != Json.Str(obj, "metadata", "resourceVersion"))
                throw KubeStatus.Conflict(type.Group, type.Plural, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {Json.Str(obj, "metadata", "resourceVersion")}");
            if (type.Kind == "Namespace" && name is "default" or "kube-system" or "kube-public")
                throw new KubeStatusException(403, "Forbidden", $"namespaces \"{name}\" is forbidden: this namespace may not be deleted", new JsonObject { ["name"] = name, ["kind"] = "namespaces" });
            if (dryRun) return Present(obj, type);
            if (type.Kind == "Namespace" || HasFinalizers(type, obj))
            {
                var metadata = Json.Metadata(obj);
                if (metadata["deletionTimestamp"] is not null) return Present(obj, type);
                metadata["deletionTimestamp"] = Now();
                metadata["deletionGracePeriodSeconds"] = 0;
                if (type.Kind == "Namespace") Json.Obj(obj, "status")["phase"] = "Terminating";
                return Present(cluster.Put(type.StorageKey, obj, "MODIFIED"), type);
            }
            var removed = cluster.Remove(type.StorageKey, ns, name)!;
            return type.DeleteReturnsObject
                ? Present(removed, type)
                : KubeStatus.Success(name, type.Group, type.Plural, Json.Str(removed, "metadata", "uid"));
        }
    }

    public JsonObject DeleteCollection(ClusterStore cluster, ResourceType type, string? ns, string? labelSelector, string? fieldSelector, bool dryRun)
    {
        var list = List(cluster, type, ns, labelSelector, fieldSelector);
        var deleted = new JsonArray();
        foreach (var item in (list["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            try { deleted.Add(Delete(cluster, type, Json.Str(item, "metadata", "namespace"), Json.Str(item, "metadata", "name")!, null, dryRun)); }
            catch (KubeStatusException e) when (e.Code == 404) { /* deleted meanwhile */ }
        }
        list["items"] = new JsonArray(deleted.Where(d => Json.Str(d, "kind") != "Status").Select(d => d!.DeepClone()).ToArray());
        return list;
    }

    /// <summary>
    /// A controller's write: read, change, write back, skipping unchanged objects. Bypasses field validation
    /// (controllers write what they mean) but keeps resourceVersion, generation and watch events exact.
    /// </summary>
    public JsonObject? Mutate(ClusterStore cluster, ResourceType type, string? ns, string name, Func<JsonObject, bool> change)
    {
        lock (cluster.Gate)
        {
            if (cluster.Get(type.StorageKey, ns, name) is not { } old) return null;
            var updated = Json.Clone(old);
            if (!change(updated) || JsonNode.DeepEquals(old, updated)) return old;
            if (type.TracksGeneration && !type.HasStatus && SpecChanged(type, old, updated))
                Json.Metadata(updated)["generation"] = (Json.Long(old, "metadata", "generation") ?? 0) + 1;
            if (updated["metadata"]?["deletionTimestamp"] is not null && !HasFinalizers(type, updated))
                return cluster.Remove(type.StorageKey, ns, name);
            return cluster.Put(type.StorageKey, updated, "MODIFIED");
        }
    }

    /// <summary>Removes an object whatever its finalizers (namespace cleanup after its finalizer ran).</summary>
    public void ForceRemove(ClusterStore cluster, ResourceType type, string? ns, string name) =>
        cluster.Remove(type.StorageKey, ns, name);

    private void Admit(ResourceType type, JsonObject obj, WriteOptions options, List<string> warnings)
    {
        if (type.IsCustom) SchemaValidator.ApplyDefaults(obj, type.Schema);
        else BuiltInDefaults.Apply(type, obj);
        var result = SchemaValidator.Validate(obj, type.Schema);
        if (type.Schema.Structural && obj["metadata"] is JsonObject metadata)
        {
            var meta = SchemaValidator.Validate(metadata, specs.ObjectMeta, "metadata");
            result.Errors.AddRange(meta.Errors);
            result.UnknownFields.AddRange(meta.UnknownFields);
        }
        if (result.UnknownFields.Count > 0)
        {
            switch (options.FieldValidation)
            {
                case "Strict":
                    throw KubeStatus.BadRequest(type.IsCustom
                        ? string.Join(", ", result.UnknownFields.Select(f => $".{f}: field not declared in schema"))
                        : "strict decoding error: " + string.Join(", ", result.UnknownFields.Select(f => $"unknown field \"{f}\"")));
                case "Warn":
                    warnings.AddRange(result.UnknownFields.Select(f => $"unknown field \"{f}\""));
                    break;
            }
        }
        result.Errors.AddRange(ObjectRules.Check(type, obj));
        if (result.Errors.Count > 0)
            throw KubeStatus.Invalid(type.Kind, type.Group, Json.Str(obj, "metadata", "name"), result.Errors);
    }

    private static void CheckTypeMeta(ResourceType type, JsonObject obj)
    {
        var apiVersion = Json.Str(obj, "apiVersion");
        var kind = Json.Str(obj, "kind");
        if (apiVersion is not null && apiVersion != type.ApiVersion)
            throw KubeStatus.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        if (kind is not null && kind != type.Kind)
            throw KubeStatus.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({type.Kind})");
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
    }

    private static void SetNamespace(ResourceType type, string? ns, JsonObject metadata)
    {
        if (!type.Namespaced)
        {
            metadata.Remove("namespace");
            return;
        }
        if (Json.Str(metadata, "namespace") is { Length: > 0 } given && given != ns)
            throw KubeStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        metadata["namespace"] = ns;
    }

    private static void CheckNamespaceOpen(ClusterStore cluster, string ns)
    {
        var namespaceObject = cluster.Get("/namespaces", null, ns) ?? throw KubeStatus.NotFound("", "namespaces", ns);
        if (namespaceObject["metadata"]?["deletionTimestamp"] is not null)
            throw new KubeStatusException(403, "Forbidden",
                $"unable to create new content in namespace {ns} because it is being terminated",
                new JsonObject { ["name"] = ns, ["kind"] = "namespaces", ["causes"] = new JsonArray(new JsonObject { ["reason"] = "NamespaceTerminating", ["message"] = $"namespace {ns} is being terminated", ["field"] = "metadata.namespace" }) });
    }

    private static bool HasFinalizers(ResourceType type, JsonObject obj) =>
        (obj["metadata"]?["finalizers"] as JsonArray)?.Count > 0
        || type.Kind == "Namespace" && (obj["spec"]?["finalizers"] as JsonArray)?.Count > 0;

    private static bool SpecChanged(ResourceType type, JsonObject old, JsonObject updated)
    {
        JsonObject Strip(JsonObject o)
        {
            var copy = Json.Clone(o);
            copy.Remove("metadata");
            if (type.HasStatus) copy.Remove("status");
            return copy;
        }
        return !JsonNode.DeepEquals(Strip(old), Strip(updated));
    }

    private static bool Equivalent(JsonObject old, JsonObject updated)
    {
        static JsonObject Strip(JsonObject o)
        {
            var copy = Json.Clone(o);
            var metadata = Json.Metadata(copy);
            metadata.Remove("resourceVersion");
            if (metadata["managedFields"] is JsonArray managed)
                foreach (var entry in managed.OfType<JsonObject>()) entry.Remove("time");
            return copy;
        }
        return JsonNode.DeepEquals(Strip(old), Strip(updated));
    }

    private void InitializeStatus(ClusterStore cluster, ResourceType type, JsonObject obj)
    {
        switch (type.Kind)
        {
            case "Namespace":
                Json.Obj(obj, "spec")["finalizers"] ??= new JsonArray("kubernetes");
                Json.Obj(obj, "status")["phase"] = "Active";
                Json.Obj(Json.Metadata(obj), "labels")["kubernetes.io/metadata.name"] = Json.Str(obj, "metadata", "name");
                break;
            case "Service" when Json.Str(obj, "spec", "clusterIP") is null && Json.Str(obj, "spec", "type") != "ExternalName":
                var ip = $"10.100.{RandomNumberGenerator.GetInt32(0, 255)}.{RandomNumberGenerator.GetInt32(1, 255)}";
                var spec = Json.Obj(obj, "spec");
                spec["clusterIP"] = ip;
                spec["clusterIPs"] = new JsonArray(ip);
                spec["ipFamilies"] = new JsonArray("IPv4");
                spec["ipFamilyPolicy"] = "SingleStack";
                spec["internalTrafficPolicy"] ??= "Cluster";
                obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case "CustomResourceDefinition":
                // The apiserver's CRD controllers accept names and establish a CRD within milliseconds: do it inline.
                var names = obj["spec"]?["names"]?.DeepClone() as JsonObject ?? [];
                names["singular"] ??= Json.Str(names, "kind")?.ToLowerInvariant();
                names["listKind"] ??= $"{Json.Str(names, "kind")}List";
                var now = Now();
                JsonObject Condition(string conditionType, string reason, string message) => new()
                {
                    ["type"] = conditionType, ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message,
                };
                var storage = (obj["spec"]?["versions"] as JsonArray ?? []).FirstOrDefault(v => v?["storage"]?.GetValue<bool>() == true);
                var stored = obj["status"]?["storedVersions"] as JsonArray ?? [];
                var storedVersions = stored.Select(v => (string?)v).Append(Json.Str(storage, "name")).Where(v => v is not null).Distinct();
                obj["status"] = new JsonObject
                {
                    ["acceptedNames"] = names,
                    ["conditions"] = new JsonArray(
                        Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                        Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
                    ["storedVersions"] = new JsonArray(storedVersions.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
                };
                break;
        }
    }

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return new string(Enumerable.Range(0, 5).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)]).ToArray());
    }
}
