using System.Text.Json.Nodes;

namespace Portal.Api.Tests.Security;

/// <summary>One documented parameter of an operation (path, query or header).</summary>
public sealed record OperationParameter(string Name, string In, JsonObject Schema);

/// <summary>A property somewhere in a request body: its JSON path, its (resolved) schema and whether it is required.</summary>
public sealed record BodyField(IReadOnlyList<object> Path, string Name, string Owner, JsonObject Schema, bool Required)
{
    public string Display => string.Join('.', Path.Select(p => p is int i ? $"[{i}]" : (string)p)).Replace(".[", "[", StringComparison.Ordinal);
    public string? Type => Schema["type"]?.GetValue<string>();
    public bool IsEnum => Schema["enum"] is JsonArray;
    public int? MaxLength => Schema["maxLength"]?.GetValue<int>();
    public bool IsPlainObject => Type == "object" && Schema["properties"] is JsonObject;
}

/// <summary>
/// Every write operation (POST, PUT, PATCH, DELETE) of the portal's own OpenAPI document, with its parameters and its
/// JSON body schema resolved, so the input suite covers a new endpoint by the endpoint being documented.
/// </summary>
public sealed class WriteOperation
{
    private readonly JsonObject _components;

    private WriteOperation(string method, string template, JsonObject operation, JsonObject components)
    {
        _components = components;
        Method = method.ToUpperInvariant();
        Template = template;
        Parameters = (operation["parameters"] as JsonArray ?? [])
            .Select(p => new OperationParameter((string)p!["name"]!, (string)p["in"]!, Resolve(p["schema"] as JsonObject ?? [])))
            .ToList();
        var content = operation["requestBody"]?["content"] as JsonObject;
        ContentTypes = content?.Select(c => c.Key).ToList() ?? [];
        BodySchema = content?["application/json"]?["schema"] is JsonObject schema ? Resolve(schema) : null;
    }

    public string Method { get; }
    public string Template { get; }
    public IReadOnlyList<OperationParameter> Parameters { get; }
    public IReadOnlyList<string> ContentTypes { get; }
    public JsonObject? BodySchema { get; }
    public string Name => $"{Method} {Template}";

    public IEnumerable<OperationParameter> PathParameters => Parameters.Where(p => p.In == "path");
    public IEnumerable<OperationParameter> QueryParameters => Parameters.Where(p => p.In == "query");
    public bool HonoursIfMatch => Parameters.Any(p => p.In == "header" && p.Name == "If-Match");
    public bool HonoursIdempotencyKey => Parameters.Any(p => p.In == "header" && p.Name == "Idempotency-Key");
    public bool TakesJson => BodySchema is not null;

    public static IReadOnlyList<WriteOperation> From(JsonObject document)
    {
        var components = document["components"]?["schemas"] as JsonObject ?? [];
        return [.. document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject()
                .Where(op => op.Key is "post" or "put" or "patch" or "delete")
                .Select(op => new WriteOperation(op.Key, path.Key, op.Value!.AsObject(), components)))
            .OrderBy(o => o.Name, StringComparer.Ordinal)];
    }

    /// <summary>The template with each path parameter replaced by <paramref name="segment"/>'s text, as it goes on the wire.</summary>
    public string Url(Func<OperationParameter, string> segment) =>
        PathParameters.Aggregate(Template, (url, parameter) => url.Replace($"{{{parameter.Name}}}", segment(parameter), StringComparison.Ordinal));

    /// <summary>Follows <c>$ref</c> (also when wrapped in allOf/oneOf by nullable references).</summary>
    public JsonObject Resolve(JsonObject schema)
    {
        for (var hops = 0; hops < 20; hops++)
        {
            if (schema["$ref"] is JsonValue reference)
                schema = (JsonObject)_components[((string)reference!).Split('/')[^1]]!;
            else if ((schema["allOf"] ?? schema["oneOf"] ?? schema["anyOf"]) is JsonArray { Count: > 0 } wrapped && schema["type"] is null)
                schema = (JsonObject)wrapped.First(s => s?["type"]?.GetValue<string>() != "null")!;
            else return schema;
        }
        throw new InvalidOperationException("Schema references loop.");
    }

    /// <summary>Every property of the body, depth first, with arrays entered through their first element.</summary>
    public IReadOnlyList<BodyField> Fields()
    {
        var fields = new List<BodyField>();
        if (BodySchema is not null) Walk(BodySchema, [], "body", fields, depth: 0);
        return fields;
    }

    private void Walk(JsonObject schema, List<object> path, string owner, List<BodyField> into, int depth)
    {
        if (depth > 6 || schema["properties"] is not JsonObject properties) return;
        var required = (schema["required"] as JsonArray)?.Select(r => (string)r!).ToHashSet() ?? [];
        foreach (var (name, raw) in properties)
        {
            var resolved = Resolve((JsonObject)raw!);
            var fieldPath = new List<object>(path) { name };
            into.Add(new BodyField(fieldPath, name, owner, resolved, required.Contains(name)));
            if (resolved["type"]?.GetValue<string>() == "array" && resolved["items"] is JsonObject items && Resolve(items)["properties"] is not null)
                Walk(Resolve(items), [.. fieldPath, 0], name, into, depth + 1);
            else if (resolved["properties"] is not null)
                Walk(resolved, fieldPath, name, into, depth + 1);
        }
    }

    /// <summary>
    /// A plausible value for a schema: first enum value, a date for date-time, one element per array, every property of
    /// an object. Plausible rather than valid: the suite only sends requests made invalid on purpose.
    /// </summary>
    public JsonNode? Example(JsonObject schema, string name = "", int depth = 0)
    {
        schema = Resolve(schema);
        if (schema["enum"] is JsonArray values && values.Count > 0) return values[0]!.DeepClone();
        switch (schema["type"]?.GetValue<string>())
        {
            case "string":
                if (schema["format"]?.GetValue<string>() == "date-time") return "2030-01-01T00:00:00Z";
                return name.Contains("mail", StringComparison.OrdinalIgnoreCase) ? "someone@example.test"
                    : name.Contains("url", StringComparison.OrdinalIgnoreCase) ? "https://hooks.example.test/portal"
                    : "fuzz-a1";
            case "integer":
                return schema["minimum"]?.GetValue<double>() is { } min ? (int)Math.Max(min, 1) : 1;
            case "number":
                return 1.5;
            case "boolean":
                return false;
            case "array":
                return depth > 6 || schema["items"] is not JsonObject items ? new JsonArray() : new JsonArray(Example(items, name, depth + 1));
            default:
                if (depth > 6) return new JsonObject();
                if (schema["properties"] is JsonObject properties)
                {
                    var example = new JsonObject();
                    foreach (var (property, propertySchema) in properties) example[property] = Example((JsonObject)propertySchema!, property, depth + 1);
                    return example;
                }
                // A map (tags, labels, values): one entry.
                return schema["additionalProperties"] is JsonObject entry && Resolve(entry)["type"] is not null
                    ? new JsonObject { ["team"] = Example(entry, "team", depth + 1) }
                    : new JsonObject();
        }
    }
}
