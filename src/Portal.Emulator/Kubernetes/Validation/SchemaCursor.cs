using System.Text.Json.Nodes;
using Portal.Emulator.Kubernetes.Specs;

namespace Portal.Emulator.Kubernetes.Validation;

/// <summary>
/// A position in a resource's schema, used by patching and field management to learn list semantics
/// (associative lists and their keys, sets, atomic lists and maps) the way the apiserver does.
/// An unknown position (free-form data) behaves as atomic lists and granular maps.
/// </summary>
public readonly record struct SchemaCursor(FlatSchema? Flat, SchemaRoot? Root, SchemaRoot? ObjectMeta, bool IsResourceRoot)
{
    public static SchemaCursor ForResource(ResourceType type, SchemaRoot objectMeta) =>
        new(SchemaValidator.Flatten(type.Schema.Schema, type.Schema), type.Schema, objectMeta, IsResourceRoot: true);

    public SchemaCursor Child(string name)
    {
        if (IsResourceRoot && name == "metadata" && ObjectMeta is not null)
            return new(SchemaValidator.Flatten(ObjectMeta.Schema, ObjectMeta), ObjectMeta, ObjectMeta, false);
        if (Flat is null || Root is null) return default;
        if (Flat.Properties is not null && Flat.Properties.TryGetValue(name, out var property))
            return new(SchemaValidator.Flatten(property, Root), Root, ObjectMeta, false);
        if (Flat.AdditionalProperties is not null)
            return new(SchemaValidator.Flatten(Flat.AdditionalProperties, Root), Root, ObjectMeta, false);
        return default;
    }

    public SchemaCursor Item() =>
        Flat?.Items is not null && Root is not null ? new(SchemaValidator.Flatten(Flat.Items, Root), Root, ObjectMeta, false) : default;

    /// <summary>Keys of an associative list: <c>x-kubernetes-list-map-keys</c>, else the strategic merge key.</summary>
    public string[]? ListKeys =>
        Flat is null ? null
        : Flat.ListType == "map" && Flat.ListMapKeys is { Length: > 0 } keys ? keys
        : Flat.PatchMergeKey is { } mergeKey && (Flat.ListType is null or "map") ? [mergeKey]
        : null;

    public bool IsSet => Flat?.ListType == "set";

    public bool IsAtomicMap => Flat?.MapType == "atomic";

    public bool MergesPrimitives => Flat?.PatchStrategy?.Contains("merge", StringComparison.Ordinal) == true && Flat.PatchMergeKey is null;

    public bool MergesByKey => Flat?.PatchStrategy?.Contains("merge", StringComparison.Ordinal) == true && Flat.PatchMergeKey is not null;

    public static bool KeysMatch(JsonNode? item, JsonNode? other, string[] keys) =>
        item is JsonObject a && other is JsonObject b && keys.All(k => JsonNode.DeepEquals(a[k], b[k]));
}
