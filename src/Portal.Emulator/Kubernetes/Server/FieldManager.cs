using System.Text;
using System.Text.Json.Nodes;
using Portal.Emulator.Kubernetes.Validation;

namespace Portal.Emulator.Kubernetes.Server;

/// <summary>One <c>metadata.managedFields</c> entry with its field set as leaf paths.</summary>
public sealed record ManagedEntry(string Manager, string Operation, string ApiVersion, string Time, string? Subresource, HashSet<string> Fields);

/// <summary>One field another manager owns with a different value than an apply wants.</summary>
public sealed record ApplyConflict(string Manager, string ApiVersion, string Path);

/// <summary>
/// Field ownership as server-side apply defines it: every write records which manager set which fields
/// (<c>fieldsV1</c>), apply merges by the schema's list semantics, refuses to change fields another manager owns
/// unless forced (409 naming the fields), and removes fields its manager stopped applying.
/// Paths are leaf fields, their segments (<c>f:name</c>, <c>k:{"name":"app"}</c>, <c>v:"x"</c>) joined by newlines.
/// Status is not tracked (only the main resource's fields are).
/// </summary>
public static class FieldManager
{
    private const char Separator = '\n';
    private static readonly string[] TrackedMetadata = ["labels", "annotations", "finalizers", "ownerReferences"];

    public static HashSet<string> FieldSet(JsonObject obj, SchemaCursor schema)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in obj)
        {
            if (name is "apiVersion" or "kind" or "status") continue;
            if (name == "metadata")
            {
                if (value is not JsonObject meta) continue;
                var metaSchema = schema.Child("metadata");
                foreach (var field in TrackedMetadata)
                {
                    if (meta.ContainsKey(field)) Collect(meta[field], metaSchema.Child(field), $"f:metadata{Separator}f:{field}", set);
                }
                continue;
            }
            Collect(value, schema.Child(name), $"f:{name}", set);
        }
        return set;
    }

    private static void Collect(JsonNode? node, SchemaCursor schema, string prefix, HashSet<string> into)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0 && !schema.IsAtomicMap:
                foreach (var (name, value) in obj) Collect(value, schema.Child(name), $"{prefix}{Separator}f:{name}", into);
                break;
            case JsonArray array when array.Count > 0 && schema.ListKeys is { } keys:
                foreach (var item in array)
                {
                    if (item is not JsonObject itemObject) { into.Add(prefix); return; }
                    var itemPrefix = $"{prefix}{Separator}k:{KeyOf(itemObject, keys)}";
                    var itemSchema = schema.Item();
                    foreach (var (name, value) in itemObject) Collect(value, itemSchema.Child(name), $"{itemPrefix}{Separator}f:{name}", into);
                }
                break;
            case JsonArray array when array.Count > 0 && schema.IsSet:
                foreach (var item in array) into.Add($"{prefix}{Separator}v:{item?.ToJsonString() ?? "null"}");
                break;
            default:
                into.Add(prefix);
                break;
        }
    }

    private static string KeyOf(JsonObject item, string[] keys) =>
        new JsonObject(keys.Order(StringComparer.Ordinal).Select(k => KeyValuePair.Create(k, item[k]?.DeepClone()))).ToJsonString();

    /// <summary>The value at a path, and whether the path exists at all.</summary>
    public static (bool Found, JsonNode? Value) ValueAt(JsonNode? root, string path)
    {
        var current = root;
        foreach (var segment in path.Split(Separator))
        {
            switch (segment[0])
            {
                case 'f' when current is JsonObject o && o.ContainsKey(segment[2..]):
                    current = o[segment[2..]];
                    break;
                case 'k' when current is JsonArray a:
                    var key = JsonNode.Parse(segment[2..])!.AsObject();
                    current = a.FirstOrDefault(i => i is JsonObject io && key.All(k => JsonNode.DeepEquals(io[k.Key], k.Value)));
                    if (current is null) return (false, null);
                    break;
                case 'v' when current is JsonArray a:
                    var wanted = JsonNode.Parse(segment[2..]);
                    var match = a.FirstOrDefault(i => JsonNode.DeepEquals(i, wanted));
                    if (match is null && wanted is not null) return (false, null);
                    current = match;
                    break;
                default:
                    return (false, null);
            }
        }
        return (true, current);
    }

    public static void RemoveAt(JsonObject root, string path)
    {
        var segments = path.Split(Separator);
        var (found, parent) = segments.Length == 1 ? (true, root) : ValueAt(root, string.Join(Separator, segments[..^1]));
        if (!found) return;
        var last = segments[^1];
        switch (last[0])
        {
            case 'f' when parent is JsonObject o: o.Remove(last[2..]); break;
            case 'k' when parent is JsonArray a:
                var key = JsonNode.Parse(last[2..])!.AsObject();
                var item = a.FirstOrDefault(i => i is JsonObject io && key.All(k => JsonNode.DeepEquals(io[k.Key], k.Value)));
                if (item is not null) a.Remove(item);
                break;
            case 'v' when parent is JsonArray a:
                var wanted = JsonNode.Parse(last[2..]);
                var element = a.FirstOrDefault(i => JsonNode.DeepEquals(i, wanted));
                if (element is not null) a.Remove(element);
                break;
        }
    }

    /// <summary>The path as kubectl and the apiserver print it in conflicts: <c>.spec.containers[name="app"].image</c>.</summary>
    public static string Display(string path)
    {
        var text = new StringBuilder();
        foreach (var segment in path.Split(Separator))
        {
            switch (segment[0])
            {
                case 'f': text.Append('.').Append(segment[2..]); break;
                case 'k':
                    var key = JsonNode.Parse(segment[2..])!.AsObject();
                    text.Append('[').Append(string.Join(",", key.Select(k => $"{k.Key}={k.Value?.ToJsonString()}"))).Append(']');
                    break;
                case 'v': text.Append("[=").Append(segment[2..]).Append(']'); break;
            }
        }
        return text.ToString();
    }

    public static JsonObject ToFieldsV1(IEnumerable<string> paths)
    {
        var root = new JsonObject();
        foreach (var path in paths.Order(StringComparer.Ordinal))
        {
            var node = root;
            foreach (var segment in path.Split(Separator))
            {
                if (node[segment] is not JsonObject child)
                {
                    child = new JsonObject();
                    if (segment[0] == 'k') child["."] = new JsonObject();
                    node[segment] = child;
                }
                node = child;
            }
        }
        return root;
    }

    public static HashSet<string> FromFieldsV1(JsonObject? fields)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (fields is not null) Read(fields, null, set);
        return set;
    }

    private static void Read(JsonObject node, string? prefix, HashSet<string> into)
    {
        foreach (var (segment, child) in node)
        {
            if (segment == ".") continue;
            var path = prefix is null ? segment : $"{prefix}{Separator}{segment}";
            if (child is JsonObject c && c.Any(p => p.Key != ".")) Read(c, path, into);
            else into.Add(path);
        }
    }

    public static List<ManagedEntry> Read(JsonObject obj)
    {
        var entries = new List<ManagedEntry>();
        if (obj["metadata"]?["managedFields"] is not JsonArray managed) return entries;
        foreach (var entry in managed.OfType<JsonObject>())
        {
            entries.Add(new ManagedEntry(
                Json.Str(entry, "manager") ?? "", Json.Str(entry, "operation") ?? "Update", Json.Str(entry, "apiVersion") ?? "",
                Json.Str(entry, "time") ?? "", Json.Str(entry, "subresource"), FromFieldsV1(entry["fieldsV1"] as JsonObject)));
        }
        return entries;
    }

    public static void Write(JsonObject obj, IEnumerable<ManagedEntry> entries)
    {
        var array = new JsonArray();
        foreach (var e in entries.Where(e => e.Fields.Count > 0))
        {
            var entry = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
                ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = ToFieldsV1(e.Fields),
            };
            if (e.Subresource is not null) entry["subresource"] = e.Subresource;
            array.Add(entry);
        }
        var metadata = Json.Metadata(obj);
        if (array.Count == 0) metadata.Remove("managedFields");
        else metadata["managedFields"] = array;
    }

    /// <summary>Ownership after a create, update or non-apply patch: the manager takes the fields it changed.</summary>
    public static List<ManagedEntry> RecordUpdate(JsonObject? old, JsonObject updated, string manager, string apiVersion, string time, SchemaCursor schema)
    {
        var entries = old is null ? [] : Read(old);
        var oldSet = old is null ? [] : FieldSet(old, schema);
        var newSet = FieldSet(updated, schema);
        var changed = newSet.Where(p => !oldSet.Contains(p) || !JsonNode.DeepEquals(ValueAt(old, p).Value, ValueAt(updated, p).Value)).ToHashSet(StringComparer.Ordinal);
        var removed = oldSet.Where(p => !newSet.Contains(p)).ToHashSet(StringComparer.Ordinal);
        if (changed.Count == 0 && removed.Count == 0) return entries;
        var result = new List<ManagedEntry>();
        ManagedEntry? own = null;
        foreach (var e in entries)
        {
            if (e.Manager == manager && e.Operation == "Update" && e.Subresource is null)
            {
                own = e with { Time = time, ApiVersion = apiVersion, Fields = [.. e.Fields.Where(f => !removed.Contains(f)), .. changed] };
                result.Add(own);
                continue;
            }
            var fields = e.Fields.Where(f => !changed.Contains(f) && !removed.Contains(f)).ToHashSet(StringComparer.Ordinal);
            if (fields.Count > 0) result.Add(e with { Fields = fields });
        }
        if (own is null && changed.Count > 0)
            result.Add(new ManagedEntry(manager, "Update", apiVersion, time, null, changed));
        return result;
    }

    /// <summary>
    /// Server-side apply of <paramref name="config"/> onto <paramref name="live"/> (null: the object is new).
    /// Returns the merged object (managedFields written) or the conflicts when not forced.
    /// </summary>
    public static (JsonObject? Merged, List<ApplyConflict> Conflicts) Apply(
        JsonObject? live, JsonObject config, string manager, bool force, string apiVersion, string time, SchemaCursor schema)
    {
        var applied = FieldSet(config, schema);
        if (live is null)
        {
            var created = Json.Clone(config);
            Write(created, [new ManagedEntry(manager, "Apply", apiVersion, time, null, applied)]);
            return (created, []);
        }
        var entries = Read(live);
        var conflicts = new List<ApplyConflict>();
        var conflicting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries.Where(e => e.Manager != manager && e.Subresource is null))
        {
            foreach (var path in e.Fields.Where(applied.Contains))
            {
                if (JsonNode.DeepEquals(ValueAt(live, path).Value, ValueAt(config, path).Value)) continue;
                conflicts.Add(new ApplyConflict(e.Manager, e.ApiVersion, path));
                conflicting.Add(path);
            }
        }
        if (conflicts.Count > 0 && !force) return (null, conflicts);

        var merged = (JsonObject)MergeApply(live, config, schema)!;
        var previous = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource is null)?.Fields ?? [];
        var others = entries.Where(e => !(e.Manager == manager && e.Operation == "Apply") && e.Subresource is null)
            .Select(e => e with { Fields = e.Fields.Where(f => !conflicting.Contains(f)).ToHashSet(StringComparer.Ordinal) })
            .ToList();
        foreach (var dropped in previous.Where(p => !applied.Contains(p)))
        {
            if (!others.Any(e => e.Fields.Contains(dropped))) RemoveAt(merged, dropped);
        }
        var result = new List<ManagedEntry>();
        var placed = false;
        foreach (var e in entries)
        {
            if (e.Manager == manager && e.Operation == "Apply" && e.Subresource is null)
            {
                result.Add(e with { ApiVersion = apiVersion, Time = time, Fields = applied });
                placed = true;
            }
            else if (e.Subresource is not null) result.Add(e);
            else result.Add(others.First(o => o.Manager == e.Manager && o.Operation == e.Operation && o.Subresource == e.Subresource));
        }
        if (!placed) result.Add(new ManagedEntry(manager, "Apply", apiVersion, time, null, applied));
        Write(merged, result);
        return (merged, []);
    }

    /// <summary>Merges an applied configuration into the live object by the schema's list and map semantics.</summary>
    public static JsonNode? MergeApply(JsonNode? live, JsonNode? config, SchemaCursor schema)
    {
        if (config is JsonObject c && live is JsonObject l && !schema.IsAtomicMap)
        {
            var result = Json.Clone(l);
            foreach (var (name, value) in c)
                result[name] = l.ContainsKey(name) && value is not null ? MergeApply(l[name], value, schema.Child(name)) : value?.DeepClone();
            return result;
        }
        if (config is JsonArray ca && live is JsonArray la)
        {
            if (schema.ListKeys is { } keys)
            {
                var result = (JsonArray)la.DeepClone();
                foreach (var item in ca)
                {
                    var match = result.FirstOrDefault(r => SchemaCursor.KeysMatch(r, item, keys));
                    if (match is null) result.Add(item?.DeepClone());
                    else result[result.IndexOf(match)] = MergeApply(match, item, schema.Item());
                }
                return result;
            }
            if (schema.IsSet)
            {
                var result = (JsonArray)la.DeepClone();
                foreach (var item in ca)
                    if (!result.Any(r => JsonNode.DeepEquals(r, item))) result.Add(item?.DeepClone());
                return result;
            }
        }
        return config?.DeepClone();
    }

    public static string ConflictMessage(IReadOnlyList<ApplyConflict> conflicts)
    {
        if (conflicts.Count == 1)
        {
            var c = conflicts[0];
            return $"Apply failed with 1 conflict: conflict with \"{c.Manager}\" using {c.ApiVersion}: {Display(c.Path)}";
        }
        var text = new StringBuilder($"Apply failed with {conflicts.Count} conflicts: ");
        text.Append(string.Join("\n", conflicts.GroupBy(c => (c.Manager, c.ApiVersion)).Select(g =>
            $"conflicts with \"{g.Key.Manager}\" using {g.Key.ApiVersion}:\n" + string.Join("\n", g.Select(c => $"- {Display(c.Path)}")))));
        return text.ToString();
    }
}
