using System.Text.Json.Nodes;

namespace Portal.Api.Tests.Security;

/// <summary>Reads and writes a value at a body field's path (property names and array indexes) in a JSON document.</summary>
public static class BodyPaths
{
    public static JsonNode? Get(JsonNode body, IReadOnlyList<object> path)
    {
        JsonNode? node = body;
        foreach (var segment in path)
        {
            node = segment switch
            {
                int i when node is JsonArray a && a.Count > i => a[i],
                string name when node is JsonObject o => o[name],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    /// <summary>Sets the value at the path, creating objects and one-element arrays on the way (the example may have nulls there).</summary>
    public static JsonNode Set(JsonNode body, IReadOnlyList<object> path, JsonNode? value)
    {
        JsonNode current = body;
        for (var i = 0; i < path.Count - 1; i++)
        {
            var next = path[i + 1] is int ? (JsonNode)new JsonArray() : new JsonObject();
            current = path[i] switch
            {
                string name when current is JsonObject o => o[name] ??= next,
                int index when current is JsonArray a => a.Count > index ? a[index] ??= next : Append(a, next),
                _ => current,
            };
        }
        switch (path[^1])
        {
            case string last when current is JsonObject o: o[last] = value; break;
            case int index when current is JsonArray a: if (a.Count > index) a[index] = value; else a.Add(value); break;
        }
        return body;
    }

    private static JsonNode Append(JsonArray array, JsonNode node)
    {
        array.Add(node);
        return node;
    }

    public static JsonNode Remove(JsonNode body, IReadOnlyList<object> path)
    {
        if (Get(body, path.Take(path.Count - 1).ToList()) is JsonObject parent && path[^1] is string name) parent.Remove(name);
        return body;
    }
}
