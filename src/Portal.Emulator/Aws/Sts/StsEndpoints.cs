using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Portal.Emulator.Aws.Identity;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Aws.Sts;

/// <summary>
/// STS's Query protocol: form-encoded (or presigned GET) requests to <c>/</c>, XML answers shaped by the model's
/// output shapes, and Query-protocol errors (<c>ErrorResponse/Error/Code</c>).
/// </summary>
public sealed class StsEndpoints(AwsModels models, AccountStore accounts, SigV4Verifier verifier, EmulatorCalls calls, FaultInjector faults)
{
    private static readonly string[] SupportedOperations = ["AssumeRole", "GetCallerIdentity"];

    public static IReadOnlyList<string> Operations => SupportedOperations;

    private AwsServiceModel Model => models.Sts;

    private XNamespace Namespace => (string)Model.Metadata["xmlNamespace"]!;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapMethods("/", ["GET", "POST"], (HttpContext context, StsEndpoints endpoints) => endpoints.HandleAsync(context));

    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var request = await AwsRequest.ReadAsync(context, ct);
        var parameters = SigV4Verifier.ParseQuery(request.RawTarget);
        if (request.Method == "POST" && request.Body.Length > 0)
        {
            parameters.AddRange(SigV4Verifier.ParseQuery("?" + System.Text.Encoding.UTF8.GetString(request.Body)));
        }
        var action = parameters.FirstOrDefault(p => p.Key == "Action").Value;
        if (action is null)
        {
            await WriteErrorAsync(context, 400, "MissingAction", "Missing Action");
            return;
        }
        var version = parameters.FirstOrDefault(p => p.Key == "Version").Value;
        if (!SupportedOperations.Contains(action) || (version is not null && version != (string)Model.Metadata["apiVersion"]!))
        {
            await WriteErrorAsync(context, 400, "InvalidAction", $"Could not find operation {action} for version {version ?? "NO_VERSION_SPECIFIED"}");
            return;
        }
        calls.Record("sts", action, null, isWrite: false,
            detail: action == "AssumeRole" ? parameters.FirstOrDefault(p => p.Key == "RoleSessionName").Value : null).AnsweredBy(context.Response);

        if (await AwsRequest.ApplyFaultAsync(faults, "sts", action, ct) is { } fault)
        {
            // STS throttles with HTTP 400 "Throttling", as Query-protocol services do.
            var (status, code, message) = fault.Kind switch
            {
                FaultKind.Throttle => (400, "Throttling", "Rate exceeded"),
                FaultKind.ExpiredCredentials => (403, "ExpiredToken", "The security token included in the request is expired"),
                _ when fault.StatusCode == 503 => (503, "ServiceUnavailable", "Service unavailable (injected fault)."),
                _ => (500, "InternalFailure", "Internal failure (injected fault)."),
            };
            await WriteErrorAsync(context, status, code, message, fault.Kind is FaultKind.Throttle or FaultKind.ExpiredCredentials ? "Sender" : "Receiver");
            return;
        }

        var (caller, failure) = verifier.Verify(request, "sts");
        if (failure is not null)
        {
            var (status, code) = failure.Kind switch
            {
                AuthFailureKind.Missing => (403, "MissingAuthenticationToken"),
                AuthFailureKind.Incomplete => (400, "IncompleteSignature"),
                AuthFailureKind.UnknownKey => (403, "InvalidClientTokenId"),
                AuthFailureKind.ExpiredToken => (403, "ExpiredToken"),
                _ => (403, "SignatureDoesNotMatch"),
            };
            await WriteErrorAsync(context, status, code, failure.Kind == AuthFailureKind.Missing ? "Request is missing Authentication Token" : failure.Message);
            return;
        }

        var input = BuildInput(action, parameters);
        var violations = Model.Validate(Model.InputShape(action)!, input.Input);
        var problems = input.Unparsable.Concat(violations.Select(v => v with { Path = LowerFirst(v.Path) })).ToList();
        if (problems.Count > 0)
        {
            await WriteErrorAsync(context, 400, "ValidationError", problems.ToAwsMessage());
            return;
        }

        JsonObject result;
        if (action == "GetCallerIdentity")
        {
            result = new JsonObject { ["UserId"] = caller!.Identity.UserId, ["Account"] = caller.Identity.AccountId, ["Arn"] = caller.Identity.Arn };
        }
        else
        {
            var (credential, refusal) = accounts.AssumeRole(caller!.Identity, caller.IsTemporary,
                (string)input.Input["RoleArn"]!, (string)input.Input["RoleSessionName"]!, (string?)input.Input["ExternalId"], (int?)input.Input["DurationSeconds"]);
            if (refusal is not null)
            {
                await WriteErrorAsync(context, refusal.Status, refusal.Code, refusal.Message);
                return;
            }
            result = new JsonObject
            {
                ["Credentials"] = new JsonObject
                {
                    ["AccessKeyId"] = credential!.AccessKeyId,
                    ["SecretAccessKey"] = credential.SecretAccessKey,
                    ["SessionToken"] = credential.SessionToken,
                    ["Expiration"] = credential.Expiration.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                },
                ["AssumedRoleUser"] = new JsonObject { ["AssumedRoleId"] = credential.UserId, ["Arn"] = credential.Arn },
            };
        }

        var operation = Model.Operation(action);
        var wrapper = (string?)operation["output"]?["resultWrapper"] ?? action + "Result";
        var document = new XElement(Namespace + (action + "Response"),
            new XElement(Namespace + wrapper, ToXml(Model.OutputShape(action)!, result)),
            new XElement(Namespace + "ResponseMetadata", new XElement(Namespace + "RequestId", AwsRequest.RequestId())));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(document.ToString(SaveOptions.DisableFormatting), ct);
    }

    /// <summary>Query-protocol input: top-level members by name, lists as Name.member.N(.Field).</summary>
    private (JsonObject Input, List<ModelViolation> Unparsable) BuildInput(string action, List<KeyValuePair<string, string>> parameters)
    {
        var input = new JsonObject();
        var unparsable = new List<ModelViolation>();
        foreach (var (name, member) in Model.Members(Model.InputShape(action)!))
        {
            var shape = Model.Shape((string)member["shape"]!);
            var type = (string)shape["type"]!;
            if (type == "list")
            {
                var prefix = name + ".member.";
                var items = parameters.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                if (items.Count == 0) continue;
                var array = new JsonArray();
                foreach (var group in items.GroupBy(p => p.Key[prefix.Length..].Split('.')[0]).OrderBy(g => int.TryParse(g.Key, out var i) ? i : 0))
                {
                    var fields = group.Where(p => p.Key.Count(c => c == '.') > 2).ToList();
                    array.Add(fields.Count == 0
                        ? JsonValue.Create(group.First().Value)
                        : new JsonObject([.. fields.Select(f => KeyValuePair.Create(f.Key[(f.Key.LastIndexOf('.') + 1)..], (JsonNode?)f.Value))]));
                }
                input[name] = array;
                continue;
            }
            var raw = parameters.LastOrDefault(p => p.Key == name);
            if (raw.Key is null) continue;
            if (type is "integer" or "long")
            {
                if (int.TryParse(raw.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)) input[name] = number;
                else unparsable.Add(new ModelViolation(LowerFirst(name), "Member must be a number", raw.Value));
            }
            else
            {
                input[name] = raw.Value;
            }
        }
        return (input, unparsable);
    }

    private IEnumerable<XElement> ToXml(string shapeName, JsonObject value)
    {
        foreach (var (name, member) in Model.Members(shapeName))
        {
            if (value[name] is not { } item) continue;
            var element = (string?)member["locationName"] ?? name;
            yield return item is JsonObject nested
                ? new XElement(Namespace + element, ToXml((string)member["shape"]!, nested))
                : new XElement(Namespace + element, item.ToString());
        }
    }

    private async Task WriteErrorAsync(HttpContext context, int status, string code, string message, string type = "Sender")
    {
        var document = new XElement(Namespace + "ErrorResponse",
            new XElement(Namespace + "Error",
                new XElement(Namespace + "Type", type),
                new XElement(Namespace + "Code", code),
                new XElement(Namespace + "Message", message)),
            new XElement(Namespace + "RequestId", AwsRequest.RequestId()));
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(document.ToString(SaveOptions.DisableFormatting), context.RequestAborted);
    }

    private static string LowerFirst(string path) => path.Length == 0 ? path : char.ToLowerInvariant(path[0]) + path[1..];
}
