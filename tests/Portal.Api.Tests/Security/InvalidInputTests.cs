using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Portal.Testing;

namespace Portal.Api.Tests.Security;

/// <summary>
/// R5: every write operation of the portal's own OpenAPI document gets requests generated invalid from its schema
/// (<see cref="InvalidRequests"/>). Each must be answered with a 4xx RFC 9457 problem, never a 5xx, and leave the
/// database exactly as it was (row counts and checksums of every table) with no job enqueued. A failure prints the
/// CsCheck seed that reproduces it (<c>CsCheck_Seed=…</c>). <c>PORTAL_RELIABILITY_LONG=1</c> sends ten times as many.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class InvalidInputTests(InputWorld world) : IClassFixture<InputWorld>
{
    private static readonly bool Long = Environment.GetEnvironmentVariable("PORTAL_RELIABILITY_LONG") == "1";
    private static readonly int RequestsPerOperation = Long ? 400 : 40;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, int>> _statusesByKind = new();
    private readonly ConcurrentDictionary<string, int> _requestsByOperation = new();
    private IReadOnlyDictionary<string, string>? _last;
    private int _bodyMutations;
    private int _namedTheField;

    [Fact]
    public async Task EveryWriteOperation_AnswersGeneratedInvalidInput_With4xxProblem_AndChangesNothing()
    {
        var operations = WriteOperation.From(world.Document);
        Assert.True(operations.Count >= 29, $"only {operations.Count} write operations documented");
        var fingerprint = new DatabaseFingerprint(world.Api.ConnectionString);
        var failures = new List<string>();

        foreach (var operation in operations)
        {
            var client = world.CallerOf(operation);
            var generator = new InvalidRequests(operation, p => world.PathValue(operation, p)).Generator();
            try
            {
                await generator.SampleAsync(request => CheckAsync(operation, client, request, fingerprint),
                    iter: RequestsPerOperation, threads: 1, print: r => r.ToString());
            }
            catch (Exception e)
            {
                failures.Add($"{operation.Name}: {e.Message}{Environment.NewLine}  → {e.InnerException?.Message}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} operation(s) mishandled invalid input:{Environment.NewLine}{string.Join(Environment.NewLine + Environment.NewLine, failures)}");
        ReliabilityReport.Write("R5", Report(operations));
    }

    private async Task CheckAsync(WriteOperation operation, HttpClient client, InvalidRequest request, DatabaseFingerprint fingerprint)
    {
        // The last request's "after" is this one's "before" (nothing else writes), re-taken after any change, so a
        // failure is blamed on the request that caused it, not on every later one.
        var before = _last ??= await fingerprint.TakeAsync();
        var jobsBefore = world.Api.Jobs.Total;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null) message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
        }
        foreach (var (name, value) in request.Headers) message.Headers.TryAddWithoutValidation(name, value);
        using var response = await client.SendAsync(message);
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        var shown = text.Length > 600 ? text[..600] + "…" : text;

        Assert.True(status is >= 400 and < 500 and not 401, $"answered {status}: {shown}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"answered {status} as {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not a problem: {shown}");
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.True(problem["status"]?.GetValue<int>() == status && !string.IsNullOrEmpty((string?)problem["title"]) && problem["type"] is not null,
            $"the problem lacks type, title or a matching status: {shown}");
        var errors = problem["errors"] as JsonObject;
        if (request.Kind == "unknown-field")
        {
            var unknown = request.Field!.Split('.')[^1];
            Assert.True(errors?.Any(e => e.Key.EndsWith(unknown, StringComparison.Ordinal)) == true, $"the unknown field '{unknown}' is not named: {shown}");
        }

        var after = _last = await fingerprint.TakeAsync();
        var changed = DatabaseFingerprint.Changed(before, after);
        Assert.True(changed.Count == 0, $"answered {status} but changed the database: {string.Join("; ", changed)}");
        Assert.True(world.Api.Jobs.Total == jobsBefore, $"answered {status} but enqueued a job");

        _statusesByKind.GetOrAdd(request.Kind, _ => new()).AddOrUpdate(status, 1, (_, n) => n + 1);
        _requestsByOperation.AddOrUpdate(operation.Name, 1, (_, n) => n + 1);
        if (request.Field is not null && request.Body is not null && request.Kind is not ("malformed-json" or "wrong-content-type" or "bad-path" or "bad-query"))
        {
            Interlocked.Increment(ref _bodyMutations);
            var leaf = request.Field.Split('.', '[')[0];
            if (errors?.Any(e => e.Key.StartsWith(leaf, StringComparison.Ordinal)) == true) Interlocked.Increment(ref _namedTheField);
        }
    }

    private string Report(IReadOnlyList<WriteOperation> operations)
    {
        var total = _requestsByOperation.Values.Sum();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Latest passing run ({(Long ? "long" : "sample")}): **{operations.Count} write operations** from `/openapi/v1.json` ")
            .Append(CultureInfo.InvariantCulture, $"× {RequestsPerOperation} generated invalid requests = **{total} requests**, ")
            .Append(CultureInfo.InvariantCulture, $"{_statusesByKind.Count} kinds of invalid input. ")
            .Append("Every one answered 4xx with an RFC 9457 body, **0 × 5xx**; the database fingerprint (row count and checksum of every table) ")
            .Append("was unchanged after each and no job was enqueued. ")
            .Append(CultureInfo.InvariantCulture, $"Body mutations whose field is named in `errors`: {_namedTheField} of {_bodyMutations}.\n\n");
        text.Append(ReliabilityReport.Table(["kind of invalid input", "requests", "answers"],
            _statusesByKind.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => (IReadOnlyList<object>)
            [
                k.Key, k.Value.Values.Sum(),
                string.Join(", ", k.Value.OrderBy(s => s.Key).Select(s => $"{s.Key} × {s.Value}")),
            ])));
        text.Append("\nGenerated by `tests/Portal.Api.Tests/Security/InvalidInputTests.cs` (CsCheck; a failure prints the seed that reproduces it).\n");
        return text.ToString();
    }
}
