using System.Text.Json.Nodes;

namespace Portal.Emulator.Kubernetes.Server;

/// <summary>One field-level reason in a Status' <c>details.causes</c>, as kube-apiserver reports it.</summary>
public sealed record StatusCause(string Reason, string Message, string Field);

/// <summary>
/// A failure the API answers with a <c>Status</c> object. Thrown from deep inside an operation so the HTTP layer
/// renders every error in one place, the way kube-apiserver's handlers turn <c>StatusError</c>s into responses.
/// </summary>
public sealed class KubeStatusException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => KubeStatus.Failure(Code, Reason, Message, Details);
}

public static class KubeStatus
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null) status["details"] = details;
        status["code"] = code;
        return status;
    }

    public static JsonObject Success(string? name, string group, string kind, string? uid) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject { ["name"] = name, ["group"] = group, ["kind"] = kind, ["uid"] = uid },
    };

    static JsonObject Details(string? name, string group, string plural) =>
        new() { ["name"] = name, ["group"] = group, ["kind"] = plural };

    public static KubeStatusException NotFound(string group, string plural, string name) =>
        new(404, "NotFound", $"{Qualified(group, plural)} \"{name}\" not found", Details(name, group, plural));

    public static KubeStatusException AlreadyExists(string group, string plural, string name) =>
        new(409, "AlreadyExists", $"{Qualified(group, plural)} \"{name}\" already exists", Details(name, group, plural));

    public static KubeStatusException Conflict(string group, string plural, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(group, plural)} \"{name}\": {why}", Details(name, group, plural));

    public static KubeStatusException StaleResourceVersion(string group, string plural, string name) =>
        Conflict(group, plural, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static KubeStatusException BadRequest(string message) => new(400, "BadRequest", message);

    public static KubeStatusException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static KubeStatusException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {contentType})");

    /// <summary>422 Invalid, with one cause per field, and the message kube-apiserver builds from them.</summary>
    public static KubeStatusException Invalid(string kind, string group, string? name, IReadOnlyList<StatusCause> causes)
    {
        var qualifiedKind = group.Length == 0 ? kind : $"{kind}.{group}";
        var parts = causes.Select(c => $"{c.Field}: {c.Message}").ToList();
        var list = parts.Count == 1 ? parts[0] : $"[{string.Join(", ", parts)}]";
        var details = new JsonObject
        {
            ["name"] = name,
            ["group"] = group,
            ["kind"] = kind,
            ["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
            {
                ["reason"] = c.Reason,
                ["message"] = c.Message,
                ["field"] = c.Field,
            }).ToArray()),
        };
        return new KubeStatusException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {list}", details);
    }

    public static string Qualified(string group, string plural) => group.Length == 0 ? plural : $"{plural}.{group}";
}
