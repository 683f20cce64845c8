using System.Text.Json;

namespace Portal.Core.Reconciliation;

/// <summary>Kubernetes' condition statuses: a step is known done, known not done, or not yet known.</summary>
public static class ConditionStatus
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";
}

/// <summary>
/// One observed fact about a resource, as Kubernetes conditions read: <c>ControlPlaneReady=True</c> since a time,
/// with a machine-readable reason and a sentence for people.
/// </summary>
public sealed record ResourceCondition(string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

/// <summary>Reads, sets and writes the conditions a resource keeps as JSON in one column.</summary>
public static class Conditions
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static List<ResourceCondition> Parse(string? json) =>
        string.IsNullOrWhiteSpace(json) ? [] : JsonSerializer.Deserialize<List<ResourceCondition>>(json, Json) ?? [];

    public static string Serialize(IEnumerable<ResourceCondition> conditions) => JsonSerializer.Serialize(conditions, Json);

    /// <summary>
    /// Sets a condition in the JSON and returns the new JSON. The transition time changes only when the status does,
    /// so "Ready since 10:02" stays true across the many runs that merely confirm it.
    /// </summary>
    public static string Set(string? json, string type, string status, string reason, string message, DateTimeOffset now)
    {
        var list = Parse(json);
        var index = list.FindIndex(c => c.Type == type);
        var since = index >= 0 && list[index].Status == status ? list[index].LastTransitionTime : now;
        var condition = new ResourceCondition(type, status, reason, message, since);
        if (index >= 0) list[index] = condition;
        else list.Add(condition);
        return Serialize(list);
    }

    public static ResourceCondition? Find(string? json, string type) => Parse(json).FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(string? json, string type) => Find(json, type)?.Status == ConditionStatus.True;
}
