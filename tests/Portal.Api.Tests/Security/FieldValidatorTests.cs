using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Portal.Testing;

namespace Portal.Api.Tests.Security;

/// <summary>
/// R5 field by field. The generated suite (<see cref="InvalidInputTests"/>) proves "never a 5xx, nothing written", but
/// its bodies are plausible rather than valid, so a request with a missing validator can still earn its 400 from another
/// field. Here every string field of every write operation is made invalid alone, in a body that is otherwise valid
/// (<see cref="ValidBodies"/>), and the answer must be a 400 whose <c>errors</c> names that field and nothing else; the
/// "nothing else" is also what shows each valid body really is valid.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class FieldValidatorTests(InputWorld world) : IClassFixture<InputWorld>
{
    private const string CreateTeam = "POST /api/v1/teams";
    private const string UpdateCluster = "PATCH /api/v1/teams/{team}/clusters/{cluster}";

    /// <summary>A cluster the portal manages: the world's own cluster is attached, and an attached cluster's spec cannot change (409).</summary>
    private const string ManagedCluster = "managed";

    [Fact]
    public async Task EveryStringField_MadeInvalidAlone_IsRejectedUnderItsOwnName()
    {
        var owner = world.Team.Owner.Client;
        await (await owner.PostJsonAsync($"{world.Team.Url}/environments", new
        {
            name = "prod", awsAccountId = "345678901234", region = "us-east-1", provisionerRoleArn = "arn:aws:iam::345678901234:role/unicron-provisioner",
        })).ExpectAsync(HttpStatusCode.Created);
        await (await owner.SendJsonAsync(HttpMethod.Post, $"{world.Team.Url}/clusters",
            $$"""
            {"name":"{{ManagedCluster}}","environment":"prod","nodePools":[{"name":"general","instanceTypes":["m5.large"],"minSize":1,"desiredSize":1,"maxSize":2}]}
            """)).ExpectAsync(HttpStatusCode.Accepted);
        var operations = WriteOperation.From(world.Document).Where(o => o.TakesJson).ToList();
        var withoutBody = operations.Where(o => !ValidBodies.Of.ContainsKey(o.Name)).Select(o => o.Name).ToList();
        Assert.True(withoutBody.Count == 0, $"No valid body for {string.Join(", ", withoutBody)}: add one to ValidBodies.");

        var failures = new List<string>();
        var unreached = new List<string>();
        var fields = 0;
        var requests = 0;
        var byKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            var bodies = ValidBodies.Of[operation.Name].Select(b => JsonNode.Parse(Fill(b))!).ToList();
            foreach (var field in operation.Fields().Where(IsStringLike))
            {
                // The first body that has the field's parent: a runtime's own block only exists in a body of that runtime.
                var body = bodies.FirstOrDefault(b => BodyPaths.Get(b, field.Path.Take(field.Path.Count - 1).ToList()) is JsonObject);
                if (body is null)
                {
                    unreached.Add($"{operation.Name} {field.Display}");
                    continue;
                }
                fields++;
                foreach (var (kind, value) in InvalidValues(operation, field))
                {
                    requests++;
                    byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
                    var sent = BodyPaths.Set(body.DeepClone(), field.Path, field.Type == "array" ? new JsonArray(value) : value);
                    if (await CheckAsync(operation, sent, field) is { } failure) failures.Add($"{operation.Name} [{kind} at {field.Display}]: {failure}");
                }
            }
        }

        Assert.True(unreached.Count == 0, $"The valid bodies do not reach these fields (add the field's parent to a body in ValidBodies):\n  {string.Join("\n  ", unreached)}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} single-field mutations were not rejected under the field's own name:\n  {string.Join("\n  ", failures)}");
        ReliabilityReport.Write("R5-fields", Report(operations.Count, fields, requests, byKind));
    }

    /// <summary>Strings and arrays of strings (instance types, args): the fields that carry names, versions, ARNs, text.</summary>
    private static bool IsStringLike(BodyField field) =>
        field.Type == "string" || (field.Type == "array" && field.Schema["items"] is JsonObject items && items["type"]?.GetValue<string>() == "string");

    /// <summary>Values no field of that kind may take: outside the enum, one over maxLength, a control character, and for identifiers an injection and an invisible character.</summary>
    private static IEnumerable<(string Kind, string Value)> InvalidValues(WriteOperation operation, BodyField field)
    {
        if (field.IsEnum)
        {
            yield return ("not-in-enum", "definitely-not-a-member");
            yield break;
        }
        if (field.MaxLength is { } max) yield return ("oversized-string", new string('a', max + 1));
        yield return ("control-character", "x\u0001y");
        if (InvalidRequests.IsIdentifier(operation, field))
        {
            yield return ("injection", "x'; DROP TABLE teams;--");
            yield return ("look-alike-unicode", "te\u200Bam");
        }
    }

    private string Fill(string body) => body
        .Replace("{ownerEmail}", world.Team.Owner.Email, StringComparison.Ordinal)
        .Replace("{in30days}", DateTimeOffset.UtcNow.AddDays(30).ToString("yyyy-MM-dd'T'00:00:00'Z'", CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private string PathValue(WriteOperation operation, OperationParameter parameter) =>
        operation.Name == UpdateCluster && parameter.Name == "cluster" ? ManagedCluster : world.PathValue(operation, parameter);

    /// <summary>The world's caller, except that only a platform admin may name another owner for a new team.</summary>
    private HttpClient CallerOf(WriteOperation operation) => operation.Name == CreateTeam ? world.Admin.Client : world.CallerOf(operation);

    private async Task<string?> CheckAsync(WriteOperation operation, JsonNode body, BodyField field)
    {
        var url = operation.Url(p => Uri.EscapeDataString(PathValue(operation, p)));
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await CallerOf(operation).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var shown = text.Length > 500 ? text[..500] + "…" : text;
        if (response.StatusCode != HttpStatusCode.BadRequest) return $"answered {(int)response.StatusCode}: {shown}";
        var errors = (JsonNode.Parse(text)?["errors"] as JsonObject)?.Select(e => e.Key).ToList() ?? [];
        if (!errors.Any(key => Names(key, field))) return $"400 without an error for {field.Display}: {shown}";
        var others = errors.Where(key => !Names(key, field)).ToList();
        return others.Count == 0 ? null : $"400 also naming {string.Join(", ", others)} (the valid body is not valid there): {shown}";
    }

    /// <summary>An error key names the field itself or one of its elements (<c>nodePools[0].instanceTypes[0]</c> for the list).</summary>
    private static bool Names(string key, BodyField field) =>
        key.Equals(field.Display, StringComparison.OrdinalIgnoreCase)
        || (key.StartsWith(field.Display, StringComparison.OrdinalIgnoreCase) && key.Length > field.Display.Length && key[field.Display.Length] is '[' or '.');

    private static string Report(int operations, int fields, int requests, IReadOnlyDictionary<string, int> byKind) =>
        string.Create(CultureInfo.InvariantCulture, $"""
            Latest passing run: **{operations} write operations with a JSON body**, **{fields} string fields** (every one the
            bodies reach), **{requests} requests**, each a valid body with one field made invalid
            ({string.Join(", ", byKind.Select(k => $"{k.Key} × {k.Value}"))}). Every one answered 400 with that field, and
            only that field, in `errors`.

            Generated by `tests/Portal.Api.Tests/Security/FieldValidatorTests.cs`; the valid bodies are in `ValidBodies.cs`.
            """);
}
