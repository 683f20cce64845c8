using System.Text.Json.Nodes;
using Portal.Emulator.Kubernetes.Validation;

namespace Portal.Emulator.Kubernetes.Server;

/// <summary>The three patch formats kube-apiserver accepts besides apply: JSON merge, strategic merge, JSON patch.</summary>
public static class Patches
{
    /// <summary>RFC 7386: objects merge, null removes, everything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null) result.Remove(name);
            else result[name] = MergePatch(result[name], value);
        }
        return result;
    }

    /// <summary>
    /// Strategic merge patch for built-in types: lists with a patch merge key merge item by item (and honour
    /// <c>$patch: delete</c>), primitive lists with the merge strategy take the union, <c>$patch: replace</c> replaces
    /// a map, <c>$deleteFromPrimitiveList/</c> removes values; other lists replace as in a merge patch.
    /// <c>$setElementOrder</c> and <c>$retainKeys</c> are accepted and ignored.
    /// </summary>
    public static JsonNode? StrategicMergePatch(JsonNode? target, JsonNode? patch, SchemaCursor schema)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var directive = Json.Str(patchObject, "$patch");
        if (directive == "replace")
        {
            var replaced = (JsonObject)patchObject.DeepClone();
            replaced.Remove("$patch");
            return replaced;
        }
        if (directive == "delete") return null;
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (name.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = name["$deleteFromPrimitiveList/".Length..];
                if (result[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var item in list.ToList())
                        if (remove.Any(r => JsonNode.DeepEquals(r, item))) list.Remove(item);
                }
                continue;
            }
            if (name.StartsWith('$')) continue;
            if (value is null)
            {
                result.Remove(name);
                continue;
            }
            var child = schema.Child(name);
            if (value is JsonArray patchList && result[name] is JsonArray current)
            {
                if (child.MergesByKey && child.Flat!.PatchMergeKey is { } key)
                    result[name] = MergeListByKey(current, patchList, key, child.Item());
                else if (child.MergesPrimitives)
                {
                    var union = (JsonArray)current.DeepClone();
                    foreach (var item in patchList)
                        if (!union.Any(u => JsonNode.DeepEquals(u, item))) union.Add(item?.DeepClone());
                    result[name] = union;
                }
                else result[name] = StripDirectives(patchList.DeepClone());
            }
            else if (value is JsonObject)
            {
                var merged = StrategicMergePatch(result[name], value, child);
                if (merged is null) result.Remove(name);
                else result[name] = merged;
            }
            else result[name] = StripDirectives(value.DeepClone());
        }
        return result;
    }

    private static JsonArray MergeListByKey(JsonArray current, JsonArray patch, string key, SchemaCursor itemSchema)
    {
        var result = (JsonArray)current.DeepClone();
        foreach (var patchItem in patch)
        {
            if (patchItem is not JsonObject p)
            {
                result.Add(patchItem?.DeepClone());
                continue;
            }
            var match = result.FirstOrDefault(i => i is JsonObject o && JsonNode.DeepEquals(o[key], p[key]));
            if (Json.Str(p, "$patch") == "delete")
            {
                if (match is not null) result.Remove(match);
                continue;
            }
            if (match is null) result.Add(StripDirectives(p.DeepClone()));
            else result[result.IndexOf(match)] = StrategicMergePatch(match, p, itemSchema);
        }
        return result;
    }

    private static JsonNode? StripDirectives(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).Where(k => k.StartsWith('$')).ToList()) obj.Remove(name);
                foreach (var (_, child) in obj) StripDirectives(child);
                break;
            case JsonArray array:
                foreach (var child in array) StripDirectives(child);
                break;
        }
        return node;
    }

    /// <summary>RFC 6902 JSON patch: add, remove, replace, move, copy, test.</summary>
    public static JsonNode JsonPatch(JsonNode target, JsonNode? patch)
    {
        if (patch is not JsonArray operations) throw KubeStatus.BadRequest("the JSON patch must be an array of operations");
        var document = target.DeepClone();
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = Json.Str(operation, "op");
            var path = Json.Str(operation, "path") ?? throw KubeStatus.BadRequest("the JSON patch operation has no path");
            switch (op)
            {
                case "add": document = Add(document, path, operation["value"]?.DeepClone()); break;
                case "remove": document = Remove(document, path, out _); break;
                case "replace":
                    document = Remove(document, path, out _);
                    document = Add(document, path, operation["value"]?.DeepClone());
                    break;
                case "move":
                    document = Remove(document, Json.Str(operation, "from")!, out var moved);
                    document = Add(document, path, moved);
                    break;
                case "copy":
                    document = Add(document, path, Resolve(document, Json.Str(operation, "from")!)?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Resolve(document, path), operation["value"]))
                        throw new KubeStatusException(422, "Invalid", $"the JSON patch test operation failed at {path}");
                    break;
                default: throw KubeStatus.BadRequest($"Unexpected kind: {op}");
            }
        }
        return document;
    }

    private static string[] Pointer(string path) =>
        path.Length == 0 ? [] : path.TrimStart('/').Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToArray();

    private static JsonNode? Resolve(JsonNode document, string path) => ResolveSegments(document, Pointer(path), path);

    private static JsonNode? ResolveSegments(JsonNode document, string[] segments, string path)
    {
        JsonNode? current = document;
        foreach (var segment in segments)
        {
            current = current switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw new KubeStatusException(422, "Invalid", $"the JSON patch path {path} does not exist"),
            };
        }
        return current;
    }

    private static JsonNode Add(JsonNode document, string path, JsonNode? value)
    {
        var segments = Pointer(path);
        if (segments.Length == 0) return value ?? new JsonObject();
        var parent = ResolveSegments(document, segments[..^1], path);
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when last == "-": a.Add(value); break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count: a.Insert(i, value); break;
            default: throw new KubeStatusException(422, "Invalid", $"the JSON patch path {path} cannot be added to");
        }
        return document;
    }

    private static JsonNode Remove(JsonNode document, string path, out JsonNode? removed)
    {
        var segments = Pointer(path);
        var parent = ResolveSegments(document, segments[..^1], path);
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                removed = o[last];
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default: throw new KubeStatusException(422, "Invalid", $"the JSON patch path {path} does not exist");
        }
        removed = removed?.DeepClone();
        return document;
    }
}
