using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Portal.Core.Access;
using Portal.Core.Persistence;

namespace Portal.Core.Audit;

/// <summary>
/// Adds audit entries to the same DbContext as the change they record, so both commit in one transaction or neither
/// does. Snapshots are serialized with secrets redacted by property name.
/// </summary>
public static class AuditLog
{
    public const string Redacted = "***redacted***";

    /// <summary>Property names (camelCase, compared case-insensitively) whose values never reach the log.</summary>
    private static readonly string[] SecretNames = ["secret", "secretHash", "token", "password", "externalId", "clientSecret", "apiKey"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static AuditEntry Record(
        PortalDbContext db, PortalActor actor, DateTimeOffset at, string action, string targetType, string targetId,
        Guid? teamId, object? before, object? after)
    {
        var entry = new AuditEntry
        {
            At = at,
            ActorKind = actor.Kind,
            ActorUserId = actor.UserId == Guid.Empty ? null : actor.UserId,
            ActorTokenId = actor.TokenId,
            ActorName = actor.Name,
            Action = action,
            TargetType = targetType,
            TargetId = targetId,
            TeamId = teamId,
            BeforeJson = Serialize(before),
            AfterJson = Serialize(after),
            ClientAddress = actor.ClientAddress,
            Outcome = AuditOutcome.Succeeded,
        };
        db.AuditEntries.Add(entry);
        return entry;
    }

    public static string? Serialize(object? snapshot)
    {
        if (snapshot is null) return null;
        var node = JsonSerializer.SerializeToNode(snapshot, snapshot.GetType(), Json);
        Redact(node);
        return node?.ToJsonString();
    }

    private static void Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (value is not null && SecretNames.Any(s => s.Equals(name, StringComparison.OrdinalIgnoreCase)))
                        obj[name] = Redacted;
                    else
                        Redact(value);
                }
                break;
            case JsonArray array:
                foreach (var item in array) Redact(item);
                break;
        }
    }
}
