using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Emulator.Aws.Identity;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Aws.Eks;

/// <summary>
/// EKS's REST-JSON front: operations are found by the model's method and request URI, inputs are assembled from
/// the path, query string and JSON body as the model locates them, checked against the model, then run.
/// </summary>
public sealed class EksEndpoints(AwsModels models, EksService eks, SigV4Verifier verifier, EmulatorCalls calls, FaultInjector faults, EmulatorAddresses addresses, ILogger<EksEndpoints> logger)
{
    private AwsServiceModel Model => models.Eks;

    public static void Map(IEndpointRouteBuilder app)
    {
        var model = app.ServiceProvider.GetRequiredService<AwsModels>().Eks;
        var prefixes = EksService.Operations.Select(op => "/" + model.RequestUri(op).Trim('/').Split('/')[0]).Distinct();
        foreach (var prefix in prefixes)
        {
            app.Map(prefix, (HttpContext context, EksEndpoints endpoints) => endpoints.HandleAsync(context));
            app.Map(prefix + "/{**rest}", (HttpContext context, EksEndpoints endpoints) => endpoints.HandleAsync(context));
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var request = await AwsRequest.ReadAsync(context, ct);
        var path = request.RawTarget.Split('?', 2)[0];
        var match = Match(request.Method, path);
        if (match is null)
        {
            await WriteErrorAsync(context, 404, "UnknownOperationException", "The requested operation is not supported by this emulator.");
            return;
        }
        var (operation, labels) = match.Value;
        var clusterName = labels.GetValueOrDefault("name") ?? ClusterOfArn(labels.GetValueOrDefault("resourceArn"))
            ?? (operation == "CreateCluster" ? BodyMember(request.Body, "name") : null);
        calls.Record("eks", operation, clusterName, isWrite: request.Method != "GET",
                detail: labels.GetValueOrDefault("nodegroupName") ?? (operation == "CreateNodegroup" ? BodyMember(request.Body, "nodegroupName") : null))
            .AnsweredBy(context.Response);

        if (await AwsRequest.ApplyFaultAsync(faults, "eks", operation, ct) is { } fault)
        {
            var (status, type, message) = fault.Kind switch
            {
                FaultKind.Throttle => (429, "ThrottlingException", "Rate exceeded"),
                FaultKind.ExpiredCredentials => (403, "ExpiredTokenException", "The security token included in the request is expired"),
                _ when fault.StatusCode == 503 => (503, "ServiceUnavailableException", "Service unavailable (injected fault)."),
                _ => (500, "ServerException", "Internal server error (injected fault)."),
            };
            await WriteErrorAsync(context, status, type, message);
            return;
        }

        var (caller, failure) = verifier.Verify(request, "eks");
        if (failure is not null)
        {
            var type = failure.Kind switch
            {
                AuthFailureKind.Missing => "MissingAuthenticationTokenException",
                AuthFailureKind.Incomplete => "IncompleteSignatureException",
                AuthFailureKind.UnknownKey => "UnrecognizedClientException",
                AuthFailureKind.ExpiredToken => "ExpiredTokenException",
                _ => "InvalidSignatureException",
            };
            await WriteErrorAsync(context, 403, type, failure.Message);
            return;
        }

        JsonObject input;
        try
        {
            input = BuildInput(operation, labels, request);
        }
        catch (JsonException e)
        {
            await WriteErrorAsync(context, 400, "SerializationException", $"Could not parse the request body: {e.Message}");
            return;
        }
        var violations = Model.Validate(Model.InputShape(operation)!, input);
        if (violations.Count > 0)
        {
            await WriteErrorAsync(context, ValidationError(operation), violations.ToAwsMessage(), clusterName);
            return;
        }

        try
        {
            var output = eks.Invoke(operation, new EksCall(caller!, addresses.KubernetesBaseUrl(context.Request)), input);
            context.Response.StatusCode = Model.SuccessCode(operation);
            context.Response.Headers["x-amzn-RequestId"] = AwsRequest.RequestId();
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(output.ToJsonString(), ct);
        }
        catch (EksException e)
        {
            await WriteErrorAsync(context, e.ErrorType, e.Message, e.ClusterName, e.NodegroupName);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or KeyNotFoundException)
        {
            // A bug of the emulator answers as AWS's own failures do, so clients show it instead of hanging on retries.
            logger.LogError(e, "EKS {Operation} failed", operation);
            await WriteErrorAsync(context, "ServerException", $"The emulator failed: {e.Message}", clusterName);
        }
    }

    /// <summary>
    /// A name a create call carries in its body (CreateCluster's cluster, CreateNodegroup's node group), so the counters
    /// can be filtered by it as by the path's names; null when the body is not readable (it is answered as such later).
    /// </summary>
    private static string? BodyMember(byte[] body, string member)
    {
        if (body.Length == 0) return null;
        try
        {
            return (JsonNode.Parse(body) as JsonObject)?[member] is JsonValue value && value.TryGetValue<string>(out var name) ? name : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The model's error for a request that breaks its constraints: the first of these the operation declares.</summary>
    private string ValidationError(string operation)
    {
        var declared = Model.Errors(operation);
        return new[] { "InvalidParameterException", "BadRequestException", "InvalidRequestException" }.FirstOrDefault(declared.Contains) ?? "ClientException";
    }

    private (string Operation, Dictionary<string, string> Labels)? Match(string method, string rawPath)
    {
        var segments = rawPath.Trim('/').Split('/');
        foreach (var operation in EksService.Operations)
        {
            if (!Model.HttpMethod(operation).Equals(method, StringComparison.OrdinalIgnoreCase)) continue;
            var template = Model.RequestUri(operation).Split('?')[0].Trim('/').Split('/');
            if (template.Length != segments.Length) continue;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var matched = true;
            for (var i = 0; i < template.Length && matched; i++)
            {
                var decoded = Uri.UnescapeDataString(segments[i]);
                if (template[i].StartsWith('{')) labels[template[i].Trim('{', '}', '+')] = decoded;
                else matched = template[i] == decoded;
            }
            if (matched) return (operation, labels);
        }
        return null;
    }

    /// <summary>Assembles the input structure from where the model says each member travels.</summary>
    private JsonObject BuildInput(string operation, Dictionary<string, string> labels, SignedRequest request)
    {
        var input = request.Body.Length == 0 ? [] : JsonNode.Parse(request.Body) as JsonObject ?? throw new JsonException("The body must be a JSON object.");
        var query = SigV4Verifier.ParseQuery(request.RawTarget);
        foreach (var (name, member) in Model.Members(Model.InputShape(operation)!))
        {
            var location = (string?)member["location"];
            var wireName = (string?)member["locationName"] ?? name;
            var shape = Model.Shape((string)member["shape"]!);
            if (location == "uri" && labels.TryGetValue(wireName, out var label))
            {
                input[name] = label;
            }
            else if (location == "querystring")
            {
                var values = query.Where(q => q.Key == wireName).Select(q => q.Value).ToList();
                if (values.Count == 0) continue;
                input[name] = (string)shape["type"]! switch
                {
                    "list" => new JsonArray([.. values.Select(v => (JsonNode)v)]),
                    "integer" or "long" => long.TryParse(values[0], out var n) ? (n is >= int.MinValue and <= int.MaxValue ? JsonValue.Create((int)n) : JsonValue.Create(n)) : JsonValue.Create(values[0]),
                    "boolean" => bool.TryParse(values[0], out var b) ? JsonValue.Create(b) : JsonValue.Create(values[0]),
                    _ => JsonValue.Create(values[0]),
                };
            }
        }
        return input;
    }

    private static string? ClusterOfArn(string? arn)
    {
        // arn:aws:eks:REGION:ACCOUNT:cluster/NAME or nodegroup/CLUSTER/...
        var resource = arn?.Split(':', 6) is { Length: 6 } parts ? parts[5].Split('/') : null;
        return resource is { Length: >= 2 } ? resource[1] : null;
    }

    private Task WriteErrorAsync(HttpContext context, string errorType, string message, string? clusterName = null, string? nodegroupName = null) =>
        WriteErrorAsync(context, Model.ErrorInfo(errorType).Status, errorType, message, clusterName, nodegroupName);

    private static async Task WriteErrorAsync(HttpContext context, int status, string errorType, string message, string? clusterName = null, string? nodegroupName = null)
    {
        var body = new JsonObject { ["message"] = message };
        if (clusterName is not null) body["clusterName"] = clusterName;
        if (nodegroupName is not null) body["nodegroupName"] = nodegroupName;
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-ErrorType"] = errorType;
        context.Response.Headers["x-amzn-RequestId"] = AwsRequest.RequestId();
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
