using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Portal.Emulator.Kubernetes.Specs;
using Portal.Emulator.Kubernetes.Store;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Kubernetes.Server;

/// <summary>
/// The HTTP face of one emulated cluster's apiserver, at <c>{emulator}/k8s/{key}/...</c>: routes the URL the way
/// kube-apiserver does (core and named groups, namespaced and cluster-scoped, subresources), checks the cluster
/// is serving and the EKS bearer token, counts the call, injects configured faults, then answers in JSON with
/// <c>Status</c> objects for every failure.
/// </summary>
public sealed class KubernetesEndpoints(
    IClusterDirectory directory,
    KubernetesStore store,
    KubernetesApiServer api,
    Discovery discovery,
    EmulatorCalls calls,
    FaultInjector faults,
    TimeProvider clock,
    IOptions<KubernetesEmulatorOptions> options)
{
    // Go's encoder leaves quotes and most characters alone; clients compare messages as text, so do the same.
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="Object"><c>namespace/name</c> of the object a call concerns, when it names one (the call's detail).</param>
    private sealed record Route(string Verb, string Resource, bool IsWrite, bool Public, Func<Task> Answer, string? Object = null);

    public async Task HandleAsync(HttpContext context, string key, string? path)
    {
        var response = context.Response;
        var cluster = directory.FindByKey(key);
        if (cluster is null)
        {
            await WriteAsync(response, 404, KubeStatus.Failure(404, "NotFound", $"no emulated cluster is served at key \"{key}\""));
            return;
        }
        if (cluster.Status is not ("ACTIVE" or "UPDATING"))
        {
            await WriteAsync(response, 503, KubeStatus.Failure(503, "ServiceUnavailable", $"the Kubernetes API of cluster \"{cluster.Name}\" is not serving: the cluster is {cluster.Status}"));
            return;
        }
        var clusterStore = store.Cluster(key);
        var segments = (path ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        Route route;
        try
        {
            route = Classify(context, cluster, clusterStore, segments);
        }
        catch (KubeStatusException e)
        {
            calls.Record("kubernetes", $"{context.Request.Method.ToLowerInvariant()} {string.Join('/', segments)}", cluster.Name, false).AnsweredBy(response);
            await WriteAsync(response, e.Code, e.ToStatus());
            return;
        }
        calls.Record("kubernetes", $"{route.Verb} {route.Resource}", cluster.Name, route.IsWrite, route.Object).AnsweredBy(response);

        if (!route.Public)
        {
            var header = context.Request.Headers.Authorization.ToString();
            var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
            var (caller, _) = token is null ? (null, "no bearer token") : directory.VerifyEksToken(token, cluster.Name);
            if (caller is null)
            {
                // kube-apiserver says no more than "Unauthorized", whatever the reason; so do we.
                await WriteAsync(response, 401, KubeStatus.Failure(401, "Unauthorized", "Unauthorized"));
                return;
            }
        }

        switch (faults.Decide("kubernetes", $"{route.Verb} {route.Resource}"))
        {
            case { Kind: FaultKind.Throttle }:
                response.Headers.RetryAfter = "1";
                await WriteAsync(response, 429, KubeStatus.Failure(429, "TooManyRequests", "Too many requests, please try again later.",
                    new JsonObject { ["retryAfterSeconds"] = 1 }));
                return;
            case { Kind: FaultKind.ServerError }:
                await WriteAsync(response, 500, KubeStatus.Failure(500, "InternalError", "Internal error occurred: injected fault",
                    new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = "injected fault" }) }));
                return;
            case { Kind: FaultKind.ExpiredCredentials }:
                await WriteAsync(response, 401, KubeStatus.Failure(401, "Unauthorized", "Unauthorized"));
                return;
            case { Kind: FaultKind.Latency } latency:
                await Task.Delay(latency.Latency, clock, context.RequestAborted);
                break;
        }

        try
        {
            await route.Answer();
        }
        catch (KubeStatusException e)
        {
            await WriteAsync(response, e.Code, e.ToStatus());
        }
    }

    private Route Classify(HttpContext context, EmulatedCluster cluster, ClusterStore clusterStore, string[] s)
    {
        var response = context.Response;
        var method = context.Request.Method;
        Route Read(string resource, Func<JsonNode> body, bool isPublic = false) =>
            new("get", resource, false, isPublic, () => WriteAsync(response, 200, body()));

        if (s.Length == 0) return Read("root", () => new JsonObject { ["paths"] = new JsonArray("/api", "/api/v1", "/apis", "/openapi/v3", "/version") });
        if (s is ["version"]) return Read("version", () => Discovery.Version(cluster), isPublic: true);
        if (s is ["healthz" or "livez" or "readyz", ..])
            return new("get", s[0], false, true, () => WriteTextAsync(response, 200, "ok"));
        if (s is ["api"]) return Read("discovery", () => Discovery.ApiVersions(context.Request.Host.Value ?? ""));
        if (s is ["apis"]) return Read("discovery", () => Discovery.GroupList(api.Types(clusterStore)));
        if (s is ["openapi", "v3"]) return Read("openapi", () => discovery.OpenApiIndex(api.Types(clusterStore)));
        if (s is ["openapi", "v3", ..])
        {
            return new("get", "openapi", false, false, async () =>
            {
                var document = discovery.OpenApiDocument(api.Types(clusterStore), string.Join('/', s[2..]))
                    ?? throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
                response.StatusCode = 200;
                response.ContentType = "application/json";
                response.Headers.ETag = $"\"{document.Hash}\"";
                await response.Body.WriteAsync(document.Bytes, context.RequestAborted);
            });
        }
        if (s is ["openapi", ..]) throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");

        string group, version;
        string[] rest;
        switch (s)
        {
            case ["api", var v, .. var r]: (group, version, rest) = ("", v, r); break;
            case ["apis", var g]:
                var types = api.Types(clusterStore);
                if (!types.Groups.Contains(g)) throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
                return Read("discovery", () => Discovery.Group(types, g));
            case ["apis", var g, var v, .. var r]: (group, version, rest) = (g, v, r); break;
            default: throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
        }
        var served = api.Types(clusterStore);
        if (rest.Length == 0)
        {
            if (!served.All.Any(t => t.Group == group && t.Version == version))
                throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
            return Read("discovery", () => Discovery.ResourceList(served, group, version));
        }

        var query = context.Request.Query;
        var watch = query["watch"].ToString() is "true" or "1";
        if (rest[0] == "watch")
        {
            watch = true;
            rest = rest[1..];
        }
        string? ns = null, name = null, subresource = null;
        string plural;
        if (rest is ["namespaces", var nsName, var p, ..] && p is not ("status" or "finalize"))
        {
            ns = nsName;
            plural = p;
            name = rest.Length > 3 ? rest[3] : null;
            subresource = rest.Length > 4 ? rest[4] : null;
            if (rest.Length > 5) throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
        }
        else
        {
            plural = rest[0];
            name = rest.Length > 1 ? rest[1] : null;
            subresource = rest.Length > 2 ? rest[2] : null;
            if (rest.Length > 3) throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
        }
        var type = served.Find(group, version, plural)
            ?? throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
        if (ns is not null && !type.Namespaced || ns is null && name is not null && type.Namespaced)
            throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
        if (subresource is "finalize" && type.Kind == "Namespace") subresource = null;
        if (subresource is not null && !(subresource == "status" && type.HasStatus) && !(subresource == "scale" && type.HasScale))
            throw new KubeStatusException(404, "NotFound", "the server could not find the requested resource");
        var resource = subresource is null ? plural : $"{plural}/{subresource}";

        var verb = (method, name) switch
        {
            ("GET", null) => watch ? "watch" : "list",
            ("GET", _) => watch ? "watch" : "get",
            ("POST", null) => "create",
            ("PUT", not null) => "update",
            ("PATCH", not null) => "patch",
            ("DELETE", null) => "deletecollection",
            ("DELETE", not null) => "delete",
            _ => throw KubeStatus.MethodNotAllowed($"the server does not allow this method on the requested resource"),
        };
        if (subresource is null && !type.Verbs.Contains(verb) && !(verb == "watch" && type.Verbs.Contains("list")))
            throw KubeStatus.MethodNotAllowed("the server does not allow this method on the requested resource");
        var isWrite = verb is "create" or "update" or "patch" or "delete" or "deletecollection";
        return new Route(verb, resource, isWrite, false, () => AnswerAsync(context, clusterStore, type, verb, ns, name, subresource),
            name is null ? null : $"{ns}/{name}");
    }

    private async Task AnswerAsync(HttpContext context, ClusterStore cluster, ResourceType type, string verb, string? ns, string? name, string? subresource)
    {
        var request = context.Request;
        var response = context.Response;
        var query = request.Query;
        var warnings = new List<string>();
        var accept = request.Headers.Accept.ToString();
        switch (verb)
        {
            case "get" when subresource == "scale":
                await WriteAsync(response, 200, ToScale(type, api.Get(cluster, type, ns, name!)));
                return;
            case "get":
                var obj = api.Get(cluster, type, ns, name!);
                await WriteAsync(response, 200, Tables.Wanted(accept)
                    ? Tables.Build(type, [obj], Json.Str(obj, "metadata", "resourceVersion") ?? "", clock.GetUtcNow())
                    : obj);
                return;
            case "list":
                var list = api.List(cluster, type, ns, query["labelSelector"], query["fieldSelector"]);
                await WriteAsync(response, 200, Tables.Wanted(accept)
                    ? Tables.Build(type, (list["items"] as JsonArray ?? []).OfType<JsonObject>(), Json.Str(list, "metadata", "resourceVersion") ?? "", clock.GetUtcNow())
                    : list);
                return;
            case "watch":
                await WatchAsync(context, cluster, type, ns, name);
                return;
        }

        var write = WriteOptionsOf(request);
        JsonObject result;
        var code = 200;
        switch (verb)
        {
            case "create":
                result = api.Create(cluster, type, ns, await ReadObjectAsync(request), write, warnings);
                code = 201;
                break;
            case "update" when subresource == "scale":
                result = ScaleTo(cluster, type, ns, name!, await ReadObjectAsync(request), write, warnings);
                break;
            case "update":
                result = api.Replace(cluster, type, ns, name!, await ReadObjectAsync(request), write, warnings, subresource);
                break;
            case "patch" when subresource == "scale":
                var current = ToScale(type, api.Get(cluster, type, ns, name!));
                var patchedScale = Patches.MergePatch(current, Json.ParseJsonOrYaml(await ReadTextAsync(request))) as JsonObject ?? current;
                result = ScaleTo(cluster, type, ns, name!, patchedScale, write, warnings);
                break;
            case "patch":
                var contentType = request.ContentType ?? "";
                var existed = cluster.Get(type.StorageKey, ns, name!) is not null;
                result = api.Patch(cluster, type, ns, name!, contentType, await ReadTextAsync(request), write, warnings, subresource);
                if (!existed) code = 201;
                break;
            case "delete":
                var body = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0 ? await ReadTextAsync(request) : "";
                var deleteOptions = body.Length > 0 ? Json.ParseJsonOrYaml(body) as JsonObject : null;
                var dryRun = write.DryRun || (deleteOptions?["dryRun"] as JsonArray)?.Count > 0;
                result = api.Delete(cluster, type, ns, name!, deleteOptions, dryRun);
                break;
            case "deletecollection":
                result = api.DeleteCollection(cluster, type, ns, query["labelSelector"], query["fieldSelector"], write.DryRun);
                break;
            default:
                throw KubeStatus.MethodNotAllowed("the server does not allow this method on the requested resource");
        }
        foreach (var warning in warnings.Distinct())
            response.Headers.Append("Warning", $"299 - {JsonSerializer.Serialize(warning)}");
        await WriteAsync(response, code, result);
    }

    private WriteOptions WriteOptionsOf(HttpRequest request)
    {
        var query = request.Query;
        var validation = query["fieldValidation"].ToString();
        if (validation.Length == 0) validation = "Warn";
        if (validation is not ("Strict" or "Warn" or "Ignore"))
            throw KubeStatus.BadRequest($"fieldValidation parameter unsupported: \"{validation}\"");
        var dryRun = query["dryRun"].ToString();
        if (dryRun.Length > 0 && dryRun != "All")
            throw KubeStatus.BadRequest($"Invalid dryRun value: \"{dryRun}\"");
        var manager = query["fieldManager"].ToString();
        var given = manager.Length > 0;
        if (!given)
        {
            // The apiserver names an unnamed manager after the client's user agent, up to its first slash.
            var agent = request.Headers.UserAgent.ToString();
            manager = agent.Length == 0 ? "unknown" : agent.Split('/')[0];
        }
        if (manager.Length > 128) throw KubeStatus.BadRequest("fieldManager: Too long: may not be more than 128 bytes");
        return new WriteOptions(manager, validation, dryRun == "All", query["force"].ToString() == "true", given);
    }

    private static JsonObject ToScale(ResourceType type, JsonObject obj)
    {
        var selector = obj["spec"]?["selector"] is JsonObject s && s["matchLabels"] is JsonObject labels
            ? string.Join(",", labels.Select(l => $"{l.Key}={(string?)l.Value}"))
            : "";
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = Json.Str(obj, "metadata", "name"),
                ["namespace"] = Json.Str(obj, "metadata", "namespace"),
                ["uid"] = Json.Str(obj, "metadata", "uid"),
                ["resourceVersion"] = Json.Str(obj, "metadata", "resourceVersion"),
                ["creationTimestamp"] = Json.Str(obj, "metadata", "creationTimestamp"),
            },
            ["spec"] = new JsonObject { ["replicas"] = Json.Long(obj, "spec", "replicas") ?? 0 },
            ["status"] = new JsonObject { ["replicas"] = Json.Long(obj, "status", "replicas") ?? 0, ["selector"] = selector },
        };
    }

    private JsonObject ScaleTo(ClusterStore cluster, ResourceType type, string? ns, string name, JsonObject scale, WriteOptions write, List<string> warnings)
    {
        var replicas = Json.Long(scale, "spec", "replicas")
            ?? throw KubeStatus.Invalid("Scale", "autoscaling", name, [new("FieldValueRequired", "Required value", "spec.replicas")]);
        if (replicas < 0)
            throw KubeStatus.Invalid("Scale", "autoscaling", name, [new("FieldValueInvalid", $"Invalid value: {replicas}: must be greater than or equal to 0", "spec.replicas")]);
        var patch = new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas } };
        if (Json.Str(scale, "metadata", "resourceVersion") is { Length: > 0 } rv) patch["metadata"] = new JsonObject { ["resourceVersion"] = rv };
        var updated = api.Patch(cluster, type, ns, name, "application/merge-patch+json", patch.ToJsonString(), write, warnings);
        return ToScale(type, updated);
    }

    private async Task WatchAsync(HttpContext context, ClusterStore cluster, ResourceType type, string? ns, string? name)
    {
        var query = context.Request.Query;
        var label = Selectors.Label(query["labelSelector"]);
        var field = Selectors.Field(query["fieldSelector"], type.StorageKey);
        bool Selected(JsonObject o) =>
            (ns is null || Json.Str(o, "metadata", "namespace") == ns)
            && (name is null || Json.Str(o, "metadata", "name") == name)
            && (label?.Invoke(o) ?? true) && (field?.Invoke(o) ?? true);

        var rvText = query["resourceVersion"].ToString();
        long? since = long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 ? parsed : null;
        List<JsonObject> initial = [];
        (System.Threading.Channels.ChannelReader<WatchEvent> Reader, IDisposable Subscription)? subscription;
        lock (cluster.Gate)
        {
            if (since is null) initial = cluster.List(type.StorageKey, ns).Where(Selected).ToList();
            subscription = cluster.Watch(since);
        }
        if (subscription is null)
        {
            await WriteAsync(context.Response, 410, KubeStatus.Failure(410, "Expired", $"too old resource version: {since} ({cluster.ResourceVersion})"));
            return;
        }
        using var _ = subscription.Value.Subscription;
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        await response.StartAsync(context.RequestAborted);

        var timeout = query["timeoutSeconds"].ToString() is { Length: > 0 } t && int.TryParse(t, out var seconds)
            ? TimeSpan.FromSeconds(Math.Min(seconds, options.Value.MaxWatchDuration.TotalSeconds))
            : options.Value.MaxWatchDuration;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        cts.CancelAfter(timeout);
        try
        {
            foreach (var obj in initial) await WriteEventAsync(response, "ADDED", Present(type, obj), cts.Token);
            await foreach (var e in subscription.Value.Reader.ReadAllAsync(cts.Token))
            {
                if (e.StorageKey != type.StorageKey || !Selected(e.Object)) continue;
                await WriteEventAsync(response, e.Type, Present(type, e.Object), cts.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Timeout or client gone: a watch ends by closing the stream, and clients re-list.
        }
    }

    private static JsonObject Present(ResourceType type, JsonObject obj)
    {
        var copy = Json.Clone(obj);
        copy["apiVersion"] = type.ApiVersion;
        copy["kind"] = type.Kind;
        return copy;
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, JsonObject obj, CancellationToken ct)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString(Compact) + "\n";
        await response.WriteAsync(line, ct);
        await response.Body.FlushAsync(ct);
    }

    private static async Task<string> ReadTextAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request)
    {
        var contentType = request.ContentType?.Split(';')[0].Trim() ?? "application/json";
        if (contentType is not ("application/json" or "application/yaml" or "*/*" or ""))
            throw new KubeStatusException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {contentType})");
        var text = await ReadTextAsync(request);
        try
        {
            return Json.ParseJsonOrYaml(text) as JsonObject ?? throw KubeStatus.BadRequest("the body of the request must be an object");
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw KubeStatus.BadRequest($"the body of the request could not be decoded: {e.Message}");
        }
    }

    private static async Task WriteAsync(HttpResponse response, int code, JsonNode body)
    {
        response.StatusCode = code;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString(Compact));
    }

    private static async Task WriteTextAsync(HttpResponse response, int code, string text)
    {
        response.StatusCode = code;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(text);
    }
}
