using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Portal.Core.Common;

/// <summary>
/// YAML → JSON with YAML 1.2 core-schema typing: plain scalars become booleans, numbers and nulls, quoted ones stay
/// strings. Deserialising to objects instead would turn every <c>type: boolean</c> default into the string "true",
/// which the API server's schema validation rightly refuses. Used for bundled manifests and the add-on catalogue.
/// </summary>
internal static class Yaml
{
    /// <summary>The first document as JSON (null for an empty document). Throws <see cref="YamlException"/> on bad syntax
    /// and <see cref="InvalidDataException"/> on a mapping key that repeats or is not a scalar.</summary>
    public static JsonNode? ToJson(TextReader reader)
    {
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => Map(map),
        YamlSequenceNode list => new JsonArray(list.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"Unsupported YAML node {node.NodeType} at line {node.Start.Line}."),
    };

    private static JsonObject Map(YamlMappingNode map)
    {
        var result = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
                throw new InvalidDataException($"line {key.Start.Line}: a mapping key must be a plain string.");
            // JsonObject would throw a bare ArgumentException; a repeated key is a mistake the author must see.
            if (!result.TryAdd(name, Convert(value)))
                throw new InvalidDataException($"line {key.Start.Line}: the key \"{name}\" appears twice.");
        }
        return result;
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return JsonValue.Create(integer);
        if (value.Any(char.IsDigit) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && !double.IsInfinity(real))
            return JsonValue.Create(real);
        return JsonValue.Create(value);
    }
}
