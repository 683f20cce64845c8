using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Portal.Web.Components.Shared.Endpoints;

/// <summary>
/// Kubernetes objects as the multi-document YAML people read and paste into <c>kubectl apply</c>. Built node by node
/// so that strings which would read as numbers, booleans or null stay strings, and multi-line text (the dashboard's
/// JSON, TF Serving's config) becomes a literal block instead of one escaped line.
/// </summary>
public static class ManifestYaml
{
    public static string Write(IEnumerable<JsonObject> objects)
    {
        var stream = new YamlStream([.. objects.Select(o => new YamlDocument(Node(o)))]);
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        // YamlDotNet ends each document with "...": kubectl accepts it, but "---" between documents is what people know.
        return writer.ToString().Replace("\n...\n", "\n", StringComparison.Ordinal).TrimEnd('.', '\n', '\r') + "\n";
    }

    private static YamlNode Node(JsonNode? node) => node switch
    {
        null => new YamlScalarNode("null") { Style = ScalarStyle.Plain },
        JsonObject obj => new YamlMappingNode(obj.Select(p => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(p.Key), Node(p.Value)))),
        JsonArray array => new YamlSequenceNode(array.Select(Node)),
        JsonValue value => Scalar(value),
        _ => new YamlScalarNode(node.ToJsonString()),
    };

    private static YamlScalarNode Scalar(JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                var text = value.GetValue<string>();
                if (text.Contains('\n', StringComparison.Ordinal)) return new YamlScalarNode(text) { Style = ScalarStyle.Literal };
                // Quoting everything would be safe but noisy; quote only what a YAML reader would take for another type.
                return new YamlScalarNode(text) { Style = LooksTyped(text) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any };
            case JsonValueKind.True:
                return new YamlScalarNode("true") { Style = ScalarStyle.Plain };
            case JsonValueKind.False:
                return new YamlScalarNode("false") { Style = ScalarStyle.Plain };
            default:
                return new YamlScalarNode(value.ToJsonString()) { Style = ScalarStyle.Plain };
        }
    }

    private static bool LooksTyped(string text) =>
        text.Length == 0
        || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
        || text.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~" or "y" or "n";
}
