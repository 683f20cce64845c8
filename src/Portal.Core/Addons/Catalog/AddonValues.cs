using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Portal.Core.Addons.Catalog;

/// <summary>Helm values: merging layers as Helm does, and checking them against a version's values JSON Schema.</summary>
public static class AddonValues
{
    // The catalogue is immutable, so a schema compiles once per version (keyed by the schema object itself).
    private static readonly ConditionalWeakTable<JsonObject, JsonSchema> Compiled = new();

    /// <summary>
    /// <paramref name="overrides"/> on top of <paramref name="baseValues"/> with Helm's semantics: maps merge deeply, a null
    /// override removes the key, anything else (lists included) replaces. Neither input is changed.
    /// </summary>
    public static JsonObject Merge(JsonObject? baseValues, JsonObject overrides)
    {
        var result = (JsonObject?)baseValues?.DeepClone() ?? [];
        MergeInto(result, overrides);
        return result;
    }

    private static void MergeInto(JsonObject target, JsonObject overrides)
    {
        foreach (var (key, value) in overrides)
        {
            if (value is null) target.Remove(key);
            else if (value is JsonObject map && target[key] is JsonObject existing) MergeInto(existing, map);
            else target[key] = StripNulls(value.DeepClone());
        }
    }

    // A null inside a brand-new map has nothing to remove; Helm drops it rather than rendering "null".
    private static JsonNode StripNulls(JsonNode node)
    {
        if (node is not JsonObject map) return node;
        foreach (var key in map.Where(p => p.Value is null).Select(p => p.Key).ToList()) map.Remove(key);
        foreach (var (_, child) in map) StripNulls(child!);
        return node;
    }

    /// <summary>
    /// The values to hand to Helm (the Argo CD Application's <c>helm.valuesObject</c>): the catalogue's defaults with the
    /// user's overrides on top. The chart's own defaults are not included: Helm applies those itself.
    /// </summary>
    public static JsonObject ForInstall(AddonVersion version, JsonObject overrides) => Merge(version.DefaultValues, overrides);

    /// <summary>
    /// The values the schema judges, as Helm renders them: chart defaults (when the catalogue ships them), then the
    /// catalogue's defaults, then the user's overrides.
    /// </summary>
    public static JsonObject Effective(AddonVersion version, JsonObject overrides) =>
        Merge(version.ChartDefaults is null ? version.DefaultValues : Merge(version.ChartDefaults, version.DefaultValues), overrides);

    /// <summary>
    /// What the version's values schema refuses in the values that <paramref name="overrides"/> produce, each at the JSON
    /// path of the failing value. Upstream chart schemas validate the merged values (chart defaults + overrides), as Helm
    /// does; our own schemas (no chart defaults) validate the catalogue's defaults + overrides. No schema: no problems.
    /// </summary>
    public static IReadOnlyList<ValuesProblem> Validate(AddonVersion version, JsonObject overrides)
    {
        if (version.ValuesSchema is null) return [];
        return Problems(CompiledSchema(version.ValuesSchema), Effective(version, overrides));
    }

    /// <summary>The compiled form of a catalogue schema, built once (the loader builds it, so a bad schema fails the start).</summary>
    internal static JsonSchema CompiledSchema(JsonObject schema) => Compiled.GetValue(schema, Compile);

    /// <summary>Builds a schema (draft-07 or 2020-12, as its <c>$schema</c> says). Throws <see cref="JsonSchemaException"/> or <see cref="JsonException"/> when it is not one.</summary>
    internal static JsonSchema Compile(JsonObject schema)
    {
        // Each schema gets its own registry: two versions may ship schemas with the same $id.
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        return JsonSchema.Build(JsonSerializer.SerializeToElement(schema), options);
    }

    internal static IReadOnlyList<ValuesProblem> Problems(JsonSchema schema, JsonObject values)
    {
        var results = schema.Evaluate(JsonSerializer.SerializeToElement(values), new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        if (results.IsValid) return [];
        var problems = new List<ValuesProblem>();
        Collect(results, problems);
        if (problems.Count == 0) problems.Add(new ValuesProblem("$", "The values do not match the values schema."));
        return problems.Distinct().ToList();
    }

    // Walks only failing nodes: a oneOf/anyOf that passed keeps its failed alternatives to itself.
    private static void Collect(EvaluationResults node, List<ValuesProblem> problems)
    {
        if (node.IsValid) return;
        var path = ToPath(node.InstanceLocation.ToString());
        var evaluationPath = node.EvaluationPath.ToString();
        foreach (var (keyword, message) in node.Errors ?? new Dictionary<string, string>())
        {
            // "properties", "allOf" and friends only repeat that a child failed; the child says why.
            if (keyword is "properties" or "allOf" or "anyOf" or "$ref" or "items" or "prefixItems" or "then" or "else"
                or "additionalProperties" or "unevaluatedProperties" or "patternProperties" or "dependentSchemas") continue;
            var notAllowed = keyword is "false" or "" && (evaluationPath.Contains("/additionalProperties", StringComparison.Ordinal)
                                                          || evaluationPath.Contains("/unevaluatedProperties", StringComparison.Ordinal));
            problems.Add(new ValuesProblem(path, notAllowed ? "This field is not allowed here." : message));
        }
        foreach (var child in node.Details ?? []) Collect(child, problems);
    }

    /// <summary>JSON Pointer ("/tracking/replicas", "/hosts/0") → JSONPath ("$.tracking.replicas", "$.hosts[0]").</summary>
    internal static string ToPath(string pointer)
    {
        var path = "$";
        foreach (var raw in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = raw.Replace("~1", "/").Replace("~0", "~");
            if (segment.All(char.IsAsciiDigit)) path += $"[{segment}]";
            else if (segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) path += $".{segment}";
            else path += $"['{segment.Replace("'", "\\'")}']";
        }
        return path;
    }
}
