using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;

namespace Portal.Web.Components.Shared.Catalog;

/// <summary>
/// The YAML tab's two directions. Reading uses Core's YAML → JSON conversion (the YAML 1.2 typing the catalogue and
/// the bootstrap manifests use); writing is a small block-style printer that quotes every string a reader would
/// otherwise take for a number, boolean or null, so the text reads back to the same JSON.
/// </summary>
public static class YamlValues
{
    /// <summary>A values document read from YAML, or the reason it could not be, with its line and column.</summary>
    public sealed record ParseResult(JsonObject? Values, string? Error);

    public static ParseResult Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return new([], null);
        try
        {
            var node = Portal.Core.Common.Yaml.ToJson(new StringReader(text));
            if (node is null) return new([], null);
            return node is JsonObject values
                ? new(values, null)
                : new(null, "The values must be a mapping of keys to values (key: value), not a single value or a list.");
        }
        catch (YamlException e)
        {
            // YamlDotNet's message repeats the position in its own format; say it once, in the words of an editor.
            var reason = e.InnerException?.Message ?? e.Message;
            var cut = reason.IndexOf("): ", StringComparison.Ordinal);
            if (reason.StartsWith("(Line", StringComparison.Ordinal) && cut > 0) reason = reason[(cut + 3)..];
            return new(null, $"Line {e.Start.Line}, column {e.Start.Column}: {reason}");
        }
        catch (InvalidDataException e)
        {
            // A key given twice, or a key that is not a plain word: Core's reader names it.
            return new(null, e.Message.Length > 0 ? char.ToUpperInvariant(e.Message[0]) + e.Message[1..] : e.Message);
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException)
        {
            // Complex keys, unfinished flow collections and the like: the reader has no position to offer for these.
            return new(null, $"The YAML could not be read: {e.Message}");
        }
    }

    public static string Write(JsonObject values)
    {
        if (values.Count == 0) return "";
        var text = new StringBuilder();
        WriteMapping(text, values, 0);
        return text.ToString();
    }

    private static void WriteMapping(StringBuilder text, JsonObject mapping, int indent)
    {
        foreach (var (key, value) in mapping)
        {
            text.Append(' ', indent).Append(Scalar(key)).Append(':');
            WriteValue(text, value, indent);
        }
    }

    private static void WriteValue(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: 0 }:
                text.Append(" {}\n");
                break;
            case JsonObject nested:
                text.Append('\n');
                WriteMapping(text, nested, indent + 2);
                break;
            case JsonArray { Count: 0 }:
                text.Append(" []\n");
                break;
            case JsonArray list:
                text.Append('\n');
                WriteSequence(text, list, indent + 2);
                break;
            default:
                text.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static void WriteSequence(StringBuilder text, JsonArray list, int indent)
    {
        foreach (var item in list)
        {
            text.Append(' ', indent).Append('-');
            if (item is JsonObject { Count: > 0 } mapping)
            {
                // "- key: value" with the item's other keys aligned under the first one.
                var first = true;
                foreach (var (key, value) in mapping)
                {
                    if (first) text.Append(' ');
                    else text.Append(' ', indent + 2);
                    first = false;
                    text.Append(Scalar(key)).Append(':');
                    WriteValue(text, value, indent + 2);
                }
            }
            else if (item is JsonArray { Count: > 0 } nested)
            {
                text.Append('\n');
                WriteSequence(text, nested, indent + 2);
            }
            else
            {
                WriteValue(text, item, indent);
            }
        }
    }

    private static string Scalar(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Scalar(v.GetValue<string>()),
        JsonValue v => v.ToJsonString(),
        _ => value.ToJsonString(),
    };

    private static string Scalar(string text) => NeedsQuotes(text) ? JsonSerializer.Serialize(text, QuotedString) : text;

    // JSON string escapes are valid in YAML double-quoted scalars; keep non-ASCII readable instead of \uXXXX.
    private static readonly JsonSerializerOptions QuotedString = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Whether a plain scalar would read back as something else (a number, boolean, null) or not parse at all.</summary>
    private static bool NeedsQuotes(string text)
    {
        if (text.Length == 0 || text != text.Trim()) return true;
        if (text is "~" or "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
            or "yes" or "no" or "on" or "off" or "Yes" or "No" or "On" or "Off" or "y" or "n") return true;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return true;
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(text[0])) return true;
        return text.Contains(": ", StringComparison.Ordinal) || text.Contains(" #", StringComparison.Ordinal) || text.EndsWith(':')
               || text.Any(c => char.IsControl(c));
    }
}
