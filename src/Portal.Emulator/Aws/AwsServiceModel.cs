using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Aws;

/// <summary>One constraint an input broke, worded as AWS words it ("Value 'x' at 'name' failed to satisfy constraint: ...").</summary>
public sealed record ModelViolation(string Path, string Message, string? Value = null);

/// <summary>
/// A botocore service model (the official machine-readable AWS API description), loaded at runtime so that
/// paths, required members, enums, lengths, ranges and patterns come from the model rather than from code.
/// </summary>
public sealed class AwsServiceModel
{
    private readonly JsonObject _shapes;
    private readonly JsonObject _operations;
    private readonly ConcurrentDictionary<string, Regex?> _patterns = new();

    private AwsServiceModel(JsonObject root)
    {
        Root = root;
        _shapes = root["shapes"]!.AsObject();
        _operations = root["operations"]!.AsObject();
    }

    public JsonObject Root { get; }

    public JsonObject Metadata => Root["metadata"]!.AsObject();

    public static AwsServiceModel Load(string fileName) =>
        new(JsonNode.Parse(File.ReadAllText(SpecFiles.Path("aws", fileName)))!.AsObject());

    public static AwsServiceModel LoadEks() => Load("eks-2017-11-01.service-2.json");

    public static AwsServiceModel LoadSts() => Load("sts-2011-06-15.service-2.json");

    public IEnumerable<string> OperationNames => _operations.Select(o => o.Key);

    public IEnumerable<string> ShapeNames => _shapes.Select(s => s.Key);

    public JsonObject Operation(string name) =>
        _operations[name]?.AsObject() ?? throw new KeyNotFoundException($"The model has no operation {name}.");

    public JsonObject Shape(string name) =>
        _shapes[name]?.AsObject() ?? throw new KeyNotFoundException($"The model has no shape {name}.");

    public string HttpMethod(string operation) => (string)Operation(operation)["http"]!["method"]!;

    public string RequestUri(string operation) => (string)Operation(operation)["http"]!["requestUri"]!;

    /// <summary>The status code of a successful answer (the model's <c>responseCode</c>, 200 when absent).</summary>
    public int SuccessCode(string operation) => (int?)Operation(operation)["http"]!["responseCode"] ?? 200;

    public string? InputShape(string operation) => (string?)Operation(operation)["input"]?["shape"];

    public string? OutputShape(string operation) => (string?)Operation(operation)["output"]?["shape"];

    public IReadOnlyList<string> Errors(string operation) =>
        Operation(operation)["errors"]?.AsArray().Select(e => (string)e!["shape"]!).ToArray() ?? [];

    /// <summary>The HTTP status and wire code of an error shape (the <c>error</c> trait; the shape name when it has no code).</summary>
    public (int Status, string Code) ErrorInfo(string shape)
    {
        var error = Shape(shape)["error"];
        return ((int?)error?["httpStatusCode"] ?? 400, (string?)error?["code"] ?? shape);
    }

    /// <summary>The members of a structure shape: name → member definition (shape, location, locationName...).</summary>
    public IEnumerable<KeyValuePair<string, JsonObject>> Members(string structureShape) =>
        Shape(structureShape)["members"]!.AsObject().Select(m => KeyValuePair.Create(m.Key, m.Value!.AsObject()));

    public IReadOnlyList<string> Required(string structureShape) =>
        Shape(structureShape)["required"]?.AsArray().Select(r => (string)r!).ToArray() ?? [];

    /// <summary>Checks a value against a shape and everything under it, collecting every broken constraint.</summary>
    public IReadOnlyList<ModelViolation> Validate(string shapeName, JsonNode? value, string path = "")
    {
        var violations = new List<ModelViolation>();
        Validate(shapeName, value, path, violations);
        return violations;
    }

    private void Validate(string shapeName, JsonNode? value, string path, List<ModelViolation> violations)
    {
        if (value is null) return;
        var shape = Shape(shapeName);
        var type = (string)shape["type"]!;
        switch (type)
        {
            case "structure":
                if (value is not JsonObject obj)
                {
                    violations.Add(new(path, "Member must be a structure"));
                    return;
                }
                foreach (var required in Required(shapeName))
                {
                    if (obj[required] is null) violations.Add(new(Join(path, required), "Member must not be null"));
                }
                foreach (var (name, member) in Members(shapeName))
                {
                    var locationName = (string?)member["locationName"] ?? name;
                    Validate((string)member["shape"]!, obj[name] ?? (locationName != name ? obj[locationName] : null), Join(path, name), violations);
                }
                break;
            case "list":
                if (value is not JsonArray array)
                {
                    violations.Add(new(path, "Member must be a list"));
                    return;
                }
                CheckRange(shape, array.Count, path, "have length", violations);
                var memberShape = (string)shape["member"]!["shape"]!;
                for (var i = 0; i < array.Count; i++) Validate(memberShape, array[i], $"{path}.{i + 1}.member", violations);
                break;
            case "map":
                if (value is not JsonObject map)
                {
                    violations.Add(new(path, "Member must be a map"));
                    return;
                }
                CheckRange(shape, map.Count, path, "have length", violations);
                var keyShape = (string)shape["key"]!["shape"]!;
                var valueShape = (string)shape["value"]!["shape"]!;
                foreach (var (key, item) in map)
                {
                    Validate(keyShape, JsonValue.Create(key), $"{path}.{key}.key", violations);
                    if (item is null) violations.Add(new($"{path}.{key}.value", "Member must not be null"));
                    else Validate(valueShape, item, $"{path}.{key}.value", violations);
                }
                break;
            case "string":
                if (value is not JsonValue sv || !sv.TryGetValue<string>(out var text))
                {
                    violations.Add(new(path, "Member must be a string"));
                    return;
                }
                if (shape["enum"] is JsonArray values && !values.Any(v => (string)v! == text))
                {
                    violations.Add(new(path, $"Member must satisfy enum value set: [{string.Join(", ", values.Select(v => (string)v!))}]", text));
                }
                CheckRange(shape, text.Length, path, "have length", violations, text);
                if ((string?)shape["pattern"] is { } pattern && PatternFor(pattern) is { } regex && !regex.IsMatch(text))
                {
                    violations.Add(new(path, $"Member must satisfy regular expression pattern: {pattern}", text));
                }
                break;
            case "integer" or "long":
                if (value is not JsonValue iv || !TryGetInteger(iv, out var number))
                {
                    violations.Add(new(path, "Member must be a number"));
                    return;
                }
                CheckRange(shape, number, path, "have value", violations, number.ToString(CultureInfo.InvariantCulture));
                break;
            case "double" or "float":
                if (value is not JsonValue dv || !dv.TryGetValue<double>(out _)) violations.Add(new(path, "Member must be a number"));
                break;
            case "boolean":
                if (value is not JsonValue bv || !bv.TryGetValue<bool>(out _)) violations.Add(new(path, "Member must be a boolean"));
                break;
        }
    }

    private static void CheckRange(JsonObject shape, long actual, string path, string what, List<ModelViolation> violations, string? shown = null)
    {
        if ((long?)shape["min"] is { } min && actual < min)
        {
            violations.Add(new(path, $"Member must {what} greater than or equal to {min}", shown));
        }
        if ((long?)shape["max"] is { } max && actual > max)
        {
            violations.Add(new(path, $"Member must {what} less than or equal to {max}", shown));
        }
    }

    private static bool TryGetInteger(JsonValue value, out long number)
    {
        if (value.TryGetValue(out number)) return true;
        if (value.TryGetValue<int>(out var small))
        {
            number = small;
            return true;
        }
        if (value.TryGetValue<double>(out var d) && Math.Floor(d) == d && d is >= long.MinValue and <= long.MaxValue)
        {
            number = (long)d;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The model's patterns are Java regular expressions that AWS applies to the whole value (its messages say
    /// "Member must satisfy regular expression pattern"), so they are anchored here. A pattern .NET cannot read
    /// (Java's \u10000-style escapes) is skipped rather than guessed at.
    /// </summary>
    private Regex? PatternFor(string pattern) => _patterns.GetOrAdd(pattern, p =>
    {
        try
        {
            // Supplementary-plane escapes (\u10000) are not .NET syntax; the BMP part of such ranges is enough here.
            var dotnet = Regex.Replace(p, @"\\u[0-9A-Fa-f]{5,6}", "\\uFFFF");
            return new Regex($"^(?:{dotnet})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            return null;
        }
    });

    private static string Join(string path, string member) => path.Length == 0 ? member : $"{path}.{member}";
}

public static class ModelViolationExtensions
{
    /// <summary>Words violations as AWS does: "2 validation errors detected: Value 'x' at 'name' failed to satisfy constraint: ...".</summary>
    public static string ToAwsMessage(this IReadOnlyList<ModelViolation> violations)
    {
        var parts = violations.Select(v => v.Value is null
            ? $"Value at '{v.Path}' failed to satisfy constraint: {v.Message}"
            : $"Value '{v.Value}' at '{v.Path}' failed to satisfy constraint: {v.Message}");
        var count = violations.Count == 1 ? "1 validation error detected" : $"{violations.Count} validation errors detected";
        return $"{count}: {string.Join("; ", parts)}";
    }
}
