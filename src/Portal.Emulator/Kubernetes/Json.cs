using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Portal.Emulator.Kubernetes;

/// <summary>Small helpers over System.Text.Json nodes: the emulator keeps objects as JSON, as etcd does.</summary>
public static class Json
{
    public static decimal ToDecimal(JsonValue value) =>
        decimal.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static string? Str(JsonNode? node, params string[] path)
    {
        var current = node;
        foreach (var segment in path) current = current is JsonObject o ? o[segment] : null;
        return current is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
    }

    public static long? Long(JsonNode? node, params string[] path)
    {
        var current = node;
        foreach (var segment in path) current = current is JsonObject o ? o[segment] : null;
        return current is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? (long)ToDecimal(v) : null;
    }

    public static JsonObject Obj(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing) return existing;
        var created = new JsonObject();
        parent[name] = created;
        return created;
    }

    public static JsonObject Metadata(JsonObject obj) => Obj(obj, "metadata");

    /// <summary>Parses a request body that may be JSON or YAML (server-side apply accepts both).</summary>
    public static JsonNode? ParseJsonOrYaml(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            try { return JsonNode.Parse(text); }
            catch (JsonException) { /* YAML flow style that is not JSON: fall through */ }
        }
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new FormatException($"error converting YAML to JSON: {e.Message}", e); }
        return stream.Documents.Count == 0 ? null : FromYaml(stream.Documents[0].RootNode);
    }

    /// <summary>All documents of a multi-document YAML stream, as JSON objects (used for CRD files).</summary>
    public static IEnumerable<JsonObject> YamlDocuments(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        foreach (var document in stream.Documents)
        {
            if (FromYaml(document.RootNode) is JsonObject obj) yield return obj;
        }
    }

    private static JsonNode? FromYaml(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", FromYaml(c.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(FromYaml).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    // YAML 1.2 core schema for plain scalars; quoted scalars are always strings.
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(value);
        if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == "tag:yaml.org,2002:str") return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return JsonNode.Parse(integer.ToString(CultureInfo.InvariantCulture));
        if (value.Length > 0 && (char.IsDigit(value[0]) || value[0] is '-' or '+' or '.') && value.Any(char.IsDigit)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && !value.EndsWith('.'))
            return JsonNode.Parse(real.ToString("R", CultureInfo.InvariantCulture));
        return JsonValue.Create(value);
    }

    public static JsonObject Clone(JsonObject obj) => (JsonObject)obj.DeepClone();
}
