using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Web.Components.Shared.Catalog;

/// <summary>What kind of input a schema node gets in <see cref="SchemaForm"/>.</summary>
public enum FieldKind
{
    String,
    Enum,
    Number,
    Integer,
    Boolean,
    Object,
    ScalarArray,
    ObjectArray,
    /// <summary>No declared shape the form can draw (free-form object, anyOf, ...): edited in the YAML tab.</summary>
    Other,
}

/// <summary>
/// Reads the parts of a JSON Schema node the form draws. Only the common keywords are read; anything else is left to
/// the YAML tab and to the catalogue's validation, which knows the whole standard.
/// </summary>
public static class SchemaReader
{
    public static FieldKind KindOf(JsonObject schema)
    {
        if (schema["enum"] is JsonArray { Count: > 0 }) return FieldKind.Enum;
        return TypeOf(schema) switch
        {
            "string" => FieldKind.String,
            "number" => FieldKind.Number,
            "integer" => FieldKind.Integer,
            "boolean" => FieldKind.Boolean,
            "object" => Properties(schema).Any() ? FieldKind.Object : FieldKind.Other,
            "array" => Items(schema) switch
            {
                { } items when KindOf(items) is FieldKind.String or FieldKind.Number or FieldKind.Integer or FieldKind.Boolean or FieldKind.Enum => FieldKind.ScalarArray,
                { } items when KindOf(items) is FieldKind.Object => FieldKind.ObjectArray,
                _ => FieldKind.Other,
            },
            _ => FieldKind.Other,
        };
    }

    /// <summary>The declared type; for <c>["string", "null"]</c> the non-null one; guessed from properties/items when absent.</summary>
    public static string? TypeOf(JsonObject schema) => schema["type"] switch
    {
        JsonValue value when value.TryGetValue<string>(out var type) => type,
        JsonArray types => types.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t is not null and not "null"),
        _ when schema["properties"] is JsonObject => "object",
        _ when schema["items"] is JsonObject => "array",
        _ => null,
    };

    public static IEnumerable<(string Name, JsonObject Schema)> Properties(JsonObject schema) =>
        schema["properties"] is JsonObject properties
            ? properties.Where(p => p.Value is JsonObject).Select(p => (p.Key, (JsonObject)p.Value!))
            : [];

    public static JsonObject? Property(JsonObject schema, string name) =>
        schema["properties"] is JsonObject properties ? properties[name] as JsonObject : null;

    public static JsonObject? Items(JsonObject schema) => schema["items"] as JsonObject;

    public static bool IsRequired(JsonObject schema, string name) =>
        schema["required"] is JsonArray required && required.Any(r => r is JsonValue v && v.TryGetValue<string>(out var s) && s == name);

    public static string? Description(JsonObject schema) => Text(schema, "description");

    public static string? Title(JsonObject schema) => Text(schema, "title");

    public static JsonNode? Default(JsonObject schema) => schema["default"];

    public static IReadOnlyList<JsonNode?> Enum(JsonObject schema) => schema["enum"] is JsonArray values ? [.. values] : [];

    public static double? Number(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;

    public static string? Text(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) ? text : null;

    /// <summary>The schema a value at <paramref name="path"/> is drawn with, or null when the form does not draw that path.</summary>
    public static JsonObject? At(JsonObject root, ValuePath path)
    {
        var schema = root;
        foreach (var segment in path.Segments)
        {
            schema = segment switch
            {
                string name when KindOf(schema) is FieldKind.Object => Property(schema, name),
                int when KindOf(schema) is FieldKind.ObjectArray or FieldKind.ScalarArray => Items(schema),
                _ => null,
            };
            if (schema is null) return null;
        }
        return schema;
    }

    /// <summary>"text, 3 to 63 characters, matching ^[a-z]+$, format uri": the constraints as a hint under the input.</summary>
    public static string Hints(JsonObject schema)
    {
        var hints = new List<string>();
        var minLength = Number(schema, "minLength");
        var maxLength = Number(schema, "maxLength");
        if (minLength is { } min && maxLength is { } max) hints.Add($"{min:0} to {max:0} characters");
        else if (minLength is { } least && least > 0) hints.Add($"at least {least:0} characters");
        else if (maxLength is { } most) hints.Add($"at most {most:0} characters");
        if (Text(schema, "pattern") is { } pattern) hints.Add($"matching {pattern}");
        if (Text(schema, "format") is { } format) hints.Add($"format {format}");
        var minimum = Number(schema, "minimum") ?? Number(schema, "exclusiveMinimum");
        var maximum = Number(schema, "maximum") ?? Number(schema, "exclusiveMaximum");
        if (minimum is { } lo && maximum is { } hi) hints.Add($"{Show(lo)} to {Show(hi)}");
        else if (minimum is { } low) hints.Add($"at least {Show(low)}");
        else if (maximum is { } high) hints.Add($"at most {Show(high)}");
        if (Number(schema, "minItems") is { } minItems && minItems > 0) hints.Add($"at least {minItems:0} items");
        if (Number(schema, "maxItems") is { } maxItems) hints.Add($"at most {maxItems:0} items");
        return string.Join(", ", hints);
    }

    private static string Show(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
