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
            // Cut to the columns: a long e-mail in a target id must not make the change it records fail (PostgreSQL
            // enforces lengths); the full values stay in the before/after JSON.
            ActorName = Truncate(actor.Name, AuditEntry.ActorNameMaxLength)!,
            Action = action,
            TargetType = targetType,
            TargetId = Truncate(targetId, AuditEntry.TargetIdMaxLength)!,
            TeamId = teamId,
            BeforeJson = Serialize(before),
            AfterJson = Serialize(after),
            ClientAddress = Truncate(actor.ClientAddress, AuditEntry.ClientAddressMaxLength),
            Outcome = AuditOutcome.Succeeded,
        };
        db.AuditEntries.Add(entry);
        return entry;
    }

    private static string? Truncate(string? value, int maxLength) =>
        value is null || value.Length <= maxLength ? value : value[..(maxLength - 1)] + "…";

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
