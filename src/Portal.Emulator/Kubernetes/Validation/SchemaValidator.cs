using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Portal.Emulator.Kubernetes.Server;
using Portal.Emulator.Kubernetes.Specs;

namespace Portal.Emulator.Kubernetes.Validation;

/// <summary>What validating one object found: field errors (422) and fields the schema does not declare.</summary>
public sealed class ValidationResult
{
    public List<StatusCause> Errors { get; } = [];
    public List<string> UnknownFields { get; } = [];
}

/// <summary>
/// Validates (and prunes) a JSON object against an OpenAPI v3 schema the way kube-apiserver does: types, required,
/// enum, formats that matter (int-or-string), value validations (pattern, bounds, lengths, oneOf/anyOf/not),
/// associative-list key uniqueness, <c>x-kubernetes-preserve-unknown-fields</c> and embedded resources.
/// CEL rules (<c>x-kubernetes-validations</c>) are not evaluated. Unknown fields are reported and removed, so the
/// caller decides between the Strict (400), Warn and Ignore field-validation modes.
/// </summary>
public static class SchemaValidator
{
    private static readonly ConcurrentDictionary<JsonObject, FlatSchema> Flattened = new(ReferenceEqualityComparer.Instance);

    public static ValidationResult Validate(JsonNode? value, SchemaRoot root, string path = "")
    {
        var result = new ValidationResult();
        new Walker(root, result, mutate: true).Walk(value, Flatten(root.Schema, root), path, topLevel: path.Length == 0);
        return result;
    }

    /// <summary>Fills in the <c>default</c>s a structural (CRD) schema declares, as the apiserver does before validation.</summary>
    public static void ApplyDefaults(JsonNode? value, SchemaRoot root) => ApplyDefaults(value, Flatten(root.Schema, root), root);

    private static void ApplyDefaults(JsonNode? value, FlatSchema schema, SchemaRoot root)
    {
        switch (value)
        {
            case JsonObject obj:
                if (schema.Properties is not null)
                {
                    foreach (var (name, child) in schema.Properties)
                    {
                        var flat = Flatten(child, root);
                        if (!obj.ContainsKey(name) && flat.Default is not null) obj[name] = flat.Default.DeepClone();
                        if (obj[name] is { } present) ApplyDefaults(present, flat, root);
                    }
                }
                else if (schema.AdditionalProperties is not null)
                {
                    var flat = Flatten(schema.AdditionalProperties, root);
                    foreach (var (_, child) in obj.ToList()) ApplyDefaults(child, flat, root);
                }
                break;
            case JsonArray array when schema.Items is not null:
                var items = Flatten(schema.Items, root);
                foreach (var item in array) ApplyDefaults(item, items, root);
                break;
        }
    }

    /// <summary>The flattened view of a schema node: <c>$ref</c> and <c>allOf</c> folded in. Cached per node.</summary>
    internal static FlatSchema Flatten(JsonObject schema, SchemaRoot root) =>
        Flattened.GetOrAdd(schema, s => FlatSchema.Build(s, root));

    private sealed class Walker(SchemaRoot root, ValidationResult result, bool mutate)
    {
        public void Walk(JsonNode? value, FlatSchema schema, string path, bool topLevel = false)
        {
            if (value is null)
            {
                if (schema.Nullable || schema.IsEmpty) return;
                if (root.Structural && schema.Type is not null) TypeError(path, value, schema.Type);
                return;
            }
            if (schema.IntOrString)
            {
                if (!IsInteger(value) && !IsString(value))
                    result.Errors.Add(new("FieldValueTypeInvalid", $"Invalid value: \"{JsonType(value)}\": {Display(path)} in body must be of type integer or string: \"{JsonType(value)}\"", path));
                return;
            }
            if (schema.TypeUnion is not null && !schema.TypeUnion.Any(t => HasType(value, t)))
            {
                TypeError(path, value, string.Join(" or ", schema.TypeUnion));
                return;
            }
            if (schema.Type is not null && !HasType(value, schema.Type))
            {
                TypeError(path, value, schema.Type);
                return;
            }
            if (schema.Enum is not null && !schema.Enum.Any(e => JsonNode.DeepEquals(e, value)))
            {
                var supported = string.Join(", ", schema.Enum.Select(e => e?.ToJsonString()));
                result.Errors.Add(new("FieldValueNotSupported", $"Unsupported value: {value.ToJsonString()}: supported values: {supported}", path));
            }
            switch (value)
            {
                case JsonObject obj: WalkObject(obj, schema, path, topLevel); break;
                case JsonArray array: WalkArray(array, schema, path); break;
                case JsonValue scalar: CheckScalar(scalar, schema, path); break;
            }
            CheckCombinators(value, schema, path);
        }

        private void WalkObject(JsonObject obj, FlatSchema schema, string path, bool topLevel)
        {
            foreach (var (name, child) in obj.ToList())
            {
                var childPath = path.Length == 0 ? name : $"{path}.{name}";
                // A custom resource's apiVersion, kind and metadata are the apiserver's, whatever its schema says.
                if ((topLevel && root.Structural || schema.EmbeddedResource) && name is "apiVersion" or "kind" or "metadata")
                    continue;
                if (child is null && !root.Structural)
                {
                    // Go's JSON decoding reads null as "not set" for built-in types.
                    if (mutate) obj.Remove(name);
                    continue;
                }
                if (schema.Properties is not null && schema.Properties.TryGetValue(name, out var property))
                {
                    Walk(child, Flatten(property, root), childPath);
                }
                else if (schema.AdditionalProperties is not null)
                {
                    Walk(child, Flatten(schema.AdditionalProperties, root), childPath);
                }
                else if (schema.AllowsAnyField(root.Structural))
                {
                    // preserved as sent
                }
                else
                {
                    if (mutate)
                    {
                        result.UnknownFields.Add(childPath);
                        obj.Remove(name);
                    }
                    else
                    {
                        result.UnknownFields.Add(childPath);
                    }
                }
            }
            foreach (var required in schema.Required)
            {
                if (obj[required] is null)
                    result.Errors.Add(new("FieldValueRequired", "Required value", path.Length == 0 ? required : $"{path}.{required}"));
            }
            if (schema.MinProperties is long minP && obj.Count < minP)
                result.Errors.Add(new("FieldValueInvalid", $"Invalid value: {obj.Count}: {Display(path)} in body should have at least {minP} properties", path));
            if (schema.MaxProperties is long maxP && obj.Count > maxP)
                result.Errors.Add(new("FieldValueTooMany", $"Too many: {obj.Count}: must have at most {maxP} items", path));
        }

        private void WalkArray(JsonArray array, FlatSchema schema, string path)
        {
            if (schema.Items is not null)
            {
                var items = Flatten(schema.Items, root);
                for (var i = 0; i < array.Count; i++) Walk(array[i], items, $"{path}[{i}]");
            }
            if (schema.MinItems is long min && array.Count < min)
                result.Errors.Add(new("FieldValueInvalid", $"Invalid value: {array.Count}: {Display(path)} in body should have at least {min} items", path));
            if (schema.MaxItems is long max && array.Count > max)
                result.Errors.Add(new("FieldValueTooMany", $"Too many: {array.Count}: must have at most {max} items", path));
            if (schema.ListType == "map" && schema.ListMapKeys is { Length: > 0 } keys)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is not JsonObject item) continue;
                    var key = new JsonObject(keys.Select(k => KeyValuePair.Create(k, item[k]?.DeepClone()))).ToJsonString();
                    if (!seen.Add(key))
                        result.Errors.Add(new("FieldValueDuplicate", $"Duplicate value: {key}", $"{path}[{i}]"));
                }
            }
            else if (schema.ListType == "set" || schema.UniqueItems)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < array.Count; i++)
                {
                    if (!seen.Add(array[i]?.ToJsonString() ?? "null"))
                        result.Errors.Add(new("FieldValueDuplicate", $"Duplicate value: {array[i]?.ToJsonString()}", $"{path}[{i}]"));
                }
            }
        }

        private void CheckScalar(JsonValue value, FlatSchema schema, string path)
        {
            if (value.TryGetValue<string>(out var text))
            {
                if (schema.Pattern is not null && !schema.Pattern.IsMatch(text))
                    result.Errors.Add(new("FieldValueInvalid", $"Invalid value: \"{text}\": {Display(path)} in body should match '{schema.PatternText}'", path));
                if (schema.MaxLength is long maxLength && text.Length > maxLength)
                    result.Errors.Add(new("FieldValueTooLong", $"Too long: may not be more than {maxLength} bytes", path));
                if (schema.MinLength is long minLength && text.Length < minLength)
                    result.Errors.Add(new("FieldValueInvalid", $"Invalid value: \"{text}\": {Display(path)} in body should be at least {minLength} chars long", path));
                return;
            }
            if (value.GetValueKind() == JsonValueKind.Number)
            {
                var number = Json.ToDecimal(value);
                if (schema.Minimum is decimal minimum && (schema.ExclusiveMinimum ? number <= minimum : number < minimum))
                    result.Errors.Add(new("FieldValueInvalid", $"Invalid value: {value.ToJsonString()}: {Display(path)} in body should be greater than {(schema.ExclusiveMinimum ? "" : "or equal to ")}{minimum.ToString(CultureInfo.InvariantCulture)}", path));
                if (schema.Maximum is decimal maximum && (schema.ExclusiveMaximum ? number >= maximum : number > maximum))
                    result.Errors.Add(new("FieldValueInvalid", $"Invalid value: {value.ToJsonString()}: {Display(path)} in body should be less than {(schema.ExclusiveMaximum ? "" : "or equal to ")}{maximum.ToString(CultureInfo.InvariantCulture)}", path));
            }
        }

        private void CheckCombinators(JsonNode value, FlatSchema schema, string path)
        {
            if (schema.OneOf.Count > 0)
            {
                var passing = schema.OneOf.Count(s => Passes(value, s, path));
                if (passing != 1)
                    result.Errors.Add(new("FieldValueInvalid", $"Invalid value: {Short(value)}: {Display(path)} in body must validate one and only one schema (oneOf)", path));
            }
            if (schema.AnyOf.Count > 0 && !schema.AnyOf.Any(s => Passes(value, s, path)))
                result.Errors.Add(new("FieldValueInvalid", $"Invalid value: {Short(value)}: {Display(path)} in body must validate at least one schema (anyOf)", path));
            if (schema.Not is not null && Passes(value, schema.Not, path))
                result.Errors.Add(new("FieldValueInvalid", $"Invalid value: {Short(value)}: {Display(path)} in body must not validate the schema (not)", path));
        }

        private bool Passes(JsonNode value, JsonObject schema, string path)
        {
            var probe = new ValidationResult();
            new Walker(root, probe, mutate: false).Walk(value, Flatten(schema, root), path);
            return probe.Errors.Count == 0;
        }

        private void TypeError(string path, JsonNode? value, string type) =>
            result.Errors.Add(new("FieldValueTypeInvalid", $"Invalid value: \"{JsonType(value)}\": {Display(path)} in body must be of type {type}: \"{JsonType(value)}\"", path));
    }

    private static string Display(string path) => path.Length == 0 ? "body" : path;

    private static string Short(JsonNode value)
    {
        var text = value.ToJsonString();
        return text.Length > 80 ? text[..80] + "..." : text;
    }

    private static bool IsString(JsonNode value) => value is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    private static bool IsInteger(JsonNode value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && Json.ToDecimal(v) % 1 == 0;

    private static bool HasType(JsonNode value, string type) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => IsString(value),
        "integer" => IsInteger(value),
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "boolean" => value is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        _ => true,
    };

    /// <summary>The Go type name kube-apiserver prints for a value of the wrong type.</summary>
    private static string JsonType(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "null",
        },
        _ => "unknown",
    };
}

/// <summary>A schema node with <c>$ref</c> and <c>allOf</c> merged in, so validation reads one flat record.</summary>
public sealed class FlatSchema
{
    public string? Type { get; private set; }
    public string[]? TypeUnion { get; private set; }
    public Dictionary<string, JsonObject>? Properties { get; private set; }
    public HashSet<string> Required { get; } = new(StringComparer.Ordinal);
    public JsonObject? AdditionalProperties { get; private set; }
    public bool AdditionalPropertiesAllowed { get; private set; }
    public JsonObject? Items { get; private set; }
    public JsonArray? Enum { get; private set; }
    public JsonNode? Default { get; private set; }
    public bool PreserveUnknownFields { get; private set; }
    public bool IntOrString { get; private set; }
    public bool Nullable { get; private set; }
    public bool EmbeddedResource { get; private set; }
    public string? ListType { get; private set; }
    public string[]? ListMapKeys { get; private set; }
    public string? PatchMergeKey { get; private set; }
    public string? PatchStrategy { get; private set; }
    public string? MapType { get; private set; }
    public bool UniqueItems { get; private set; }
    public Regex? Pattern { get; private set; }
    public string? PatternText { get; private set; }
    public decimal? Minimum { get; private set; }
    public decimal? Maximum { get; private set; }
    public bool ExclusiveMinimum { get; private set; }
    public bool ExclusiveMaximum { get; private set; }
    public long? MinLength { get; private set; }
    public long? MaxLength { get; private set; }
    public long? MinItems { get; private set; }
    public long? MaxItems { get; private set; }
    public long? MinProperties { get; private set; }
    public long? MaxProperties { get; private set; }
    public List<JsonObject> OneOf { get; } = [];
    public List<JsonObject> AnyOf { get; } = [];
    public JsonObject? Not { get; private set; }

    /// <summary>True when the schema says nothing at all (e.g. apiextensions' JSON): anything goes.</summary>
    public bool IsEmpty => Type is null && TypeUnion is null && Properties is null && AdditionalProperties is null && Items is null && OneOf.Count == 0 && AnyOf.Count == 0 && !IntOrString;

    /// <summary>
    /// Whether an object may carry fields its schema does not name. Built-in types with no declared properties
    /// are free-form (RawExtension); structural CRD schemas prune unless they preserve unknown fields.
    /// </summary>
    public bool AllowsAnyField(bool structural) =>
        PreserveUnknownFields || AdditionalPropertiesAllowed || !structural && Properties is null;

    public static FlatSchema Build(JsonObject schema, SchemaRoot root)
    {
        var flat = new FlatSchema();
        flat.Merge(schema, root, depth: 0);
        return flat;
    }

    private void Merge(JsonObject schema, SchemaRoot root, int depth)
    {
        if (depth > 16) return;
        if ((string?)schema["$ref"] is { } reference && root.Resolve(reference) is { } target) Merge(target, root, depth + 1);
        if (schema["allOf"] is JsonArray allOf)
        {
            foreach (var part in allOf.OfType<JsonObject>()) Merge(part, root, depth + 1);
        }
        Type ??= (string?)schema["type"];
        if (schema["properties"] is JsonObject properties)
        {
            Properties ??= new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            foreach (var (name, property) in properties)
            {
                if (property is JsonObject p) Properties[name] = p;
            }
        }
        if (schema["required"] is JsonArray required)
        {
            foreach (var r in required) if ((string?)r is { } name) Required.Add(name);
        }
        switch (schema["additionalProperties"])
        {
            case JsonObject additional: AdditionalProperties ??= additional; break;
            case JsonValue allowed when allowed.GetValueKind() == JsonValueKind.True: AdditionalPropertiesAllowed = true; break;
        }
        Items ??= schema["items"] as JsonObject;
        Enum ??= schema["enum"] as JsonArray;
        Default ??= schema["default"];
        PreserveUnknownFields |= Flag(schema, "x-kubernetes-preserve-unknown-fields");
        IntOrString |= Flag(schema, "x-kubernetes-int-or-string") || (string?)schema["format"] == "int-or-string";
        Nullable |= Flag(schema, "nullable");
        EmbeddedResource |= Flag(schema, "x-kubernetes-embedded-resource");
        UniqueItems |= Flag(schema, "uniqueItems");
        ListType ??= (string?)schema["x-kubernetes-list-type"];
        MapType ??= (string?)schema["x-kubernetes-map-type"];
        ListMapKeys ??= (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => (string)k!).ToArray();
        PatchMergeKey ??= (string?)schema["x-kubernetes-patch-merge-key"];
        PatchStrategy ??= (string?)schema["x-kubernetes-patch-strategy"];
        if ((string?)schema["pattern"] is { } pattern && Pattern is null)
        {
            PatternText = pattern;
            try { Pattern = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
            catch (ArgumentException) { Pattern = null; } // a Go RE2 construct .NET cannot read: skip, as for CEL
        }
        Minimum ??= Number(schema["minimum"]);
        Maximum ??= Number(schema["maximum"]);
        ExclusiveMinimum |= Flag(schema, "exclusiveMinimum");
        ExclusiveMaximum |= Flag(schema, "exclusiveMaximum");
        MinLength ??= Long(schema["minLength"]);
        MaxLength ??= Long(schema["maxLength"]);
        MinItems ??= Long(schema["minItems"]);
        MaxItems ??= Long(schema["maxItems"]);
        MinProperties ??= Long(schema["minProperties"]);
        MaxProperties ??= Long(schema["maxProperties"]);
        // Built-in documents spell "int or string" and "string or number" (Quantity) as a oneOf of bare types; those
        // are type unions, not value validations, so fold them into IntOrString / no-type-check.
        if (schema["oneOf"] is JsonArray oneOf)
        {
            var branches = oneOf.OfType<JsonObject>().ToList();
            if (branches.All(b => b.Count == 1 && b["type"] is not null)) TypeUnion = branches.Select(b => (string)b["type"]!).ToArray();
            else OneOf.AddRange(branches);
        }
        if (schema["anyOf"] is JsonArray anyOf) AnyOf.AddRange(anyOf.OfType<JsonObject>());
        Not ??= schema["not"] as JsonObject;
    }

    private static bool Flag(JsonObject schema, string name) =>
        schema[name] is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private static decimal? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? Json.ToDecimal(v) : null;

    private static long? Long(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? (long)Json.ToDecimal(v) : null;
}
