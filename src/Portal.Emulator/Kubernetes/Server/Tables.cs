using System.Globalization;
using System.Text.Json.Nodes;
using Portal.Emulator.Kubernetes.Specs;

namespace Portal.Emulator.Kubernetes.Server;

/// <summary>
/// Server-side printing (<c>Accept: application/json;as=Table;g=meta.k8s.io;v=v1</c>), which <c>kubectl get</c>
/// asks for: Name and Age for built-in types, a CRD's additionalPrinterColumns for custom ones.
/// </summary>
public static class Tables
{
    public static bool Wanted(string? accept) => accept?.Contains("as=Table", StringComparison.Ordinal) == true;

    public static JsonObject Build(ResourceType type, IEnumerable<JsonObject> objects, string resourceVersion, DateTimeOffset now)
    {
        var columns = new List<(string Name, string Type, string? Path)> { ("Name", "string", null) };
        foreach (var column in (type.PrinterColumns ?? []).OfType<JsonObject>())
        {
            if ((Json.Long(column, "priority") ?? 0) > 0) continue;
            columns.Add((Json.Str(column, "name") ?? "", Json.Str(column, "type") ?? "string", Json.Str(column, "jsonPath")));
        }
        if (!columns.Any(c => c.Name == "Age")) columns.Add(("Age", "date", ".metadata.creationTimestamp"));
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray();
            foreach (var (name, columnType, path) in columns)
            {
                if (path is null) { cells.Add(Json.Str(obj, "metadata", "name")); continue; }
                var value = JsonPath(obj, path);
                cells.Add(columnType == "date" && value is JsonValue v && v.TryGetValue<string>(out var stamp) ? Age(stamp, now) : value?.DeepClone());
            }
            var metadata = (JsonObject)(obj["metadata"]?.DeepClone() ?? new JsonObject());
            metadata.Remove("managedFields");
            rows.Add(new JsonObject
            {
                ["cells"] = cells,
                ["object"] = new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = metadata },
            });
        }
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
            ["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type == "date" ? "string" : c.Type,
                ["format"] = c.Name == "Name" ? "name" : "",
                ["description"] = c.Name,
                ["priority"] = 0,
            }).ToArray()),
            ["rows"] = rows,
        };
    }

    /// <summary>The small JSONPath subset printer columns use: <c>.a.b</c>, <c>.a[0]</c>, <c>.a[?(@.type=="X")].b</c>.</summary>
    public static JsonNode? JsonPath(JsonNode? node, string path)
    {
        var current = node;
        var rest = path.Trim().TrimStart('{').TrimEnd('}').TrimStart('.');
        while (rest.Length > 0 && current is not null)
        {
            if (rest.StartsWith("[?(@.", StringComparison.Ordinal))
            {
                var end = rest.IndexOf(")]", StringComparison.Ordinal);
                var condition = rest[5..end];
                var eq = condition.IndexOf("==", StringComparison.Ordinal);
                var field = condition[..eq];
                var expected = condition[(eq + 2)..].Trim('"', '\'');
                current = (current as JsonArray)?.FirstOrDefault(i => Json.Str(i, field) == expected);
                rest = rest[(end + 2)..].TrimStart('.');
                continue;
            }
            if (rest.StartsWith('['))
            {
                var end = rest.IndexOf(']');
                current = int.TryParse(rest[1..end], out var index) && current is JsonArray a && index < a.Count ? a[index] : null;
                rest = rest[(end + 1)..].TrimStart('.');
                continue;
            }
            var stop = rest.IndexOfAny(['.', '[']);
            var name = stop < 0 ? rest : rest[..stop];
            current = (current as JsonObject)?[name];
            rest = stop < 0 ? "" : rest[stop..].TrimStart('.');
        }
        return current;
    }

    private static string Age(string timestamp, DateTimeOffset now)
    {
        if (!DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return "<unknown>";
        var age = now - at;
        return age.TotalSeconds < 120 ? $"{Math.Max(0, (int)age.TotalSeconds)}s"
            : age.TotalMinutes < 120 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }
}
