namespace Portal.Core.Audit;

public enum ActorKind
{
    User = 0,
    Token = 1,
    System = 2,
}

public enum AuditOutcome
{
    Succeeded = 0,
    Denied = 1,
    Failed = 2,
}

/// <summary>
/// Who did what to which thing, when, from where, with the state before and after (secrets redacted).
/// Append-only, written in the same transaction as the change it records.
/// </summary>
public sealed class AuditEntry
{
    public const int ActorNameMaxLength = 320;
    public const int TargetIdMaxLength = 256;
    public const int ClientAddressMaxLength = 64;

    /// <summary>Monotonic, so the log has a stable order without sorting by timestamp (SQLite cannot).</summary>
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }
    public ActorKind ActorKind { get; set; }
    public Guid? ActorUserId { get; set; }
    public Guid? ActorTokenId { get; set; }
    public required string ActorName { get; set; }

    /// <summary>Dotted verb such as <c>team.create</c>, <c>membership.update</c>, <c>token.revoke</c>.</summary>
    public required string Action { get; set; }

    public required string TargetType { get; set; }
    public required string TargetId { get; set; }

    /// <summary>The team the target belongs to, so owners can read their team's log.</summary>
    public Guid? TeamId { get; set; }

    public string? BeforeJson { get; set; }
    public string? AfterJson { get; set; }
    public string? ClientAddress { get; set; }
    public AuditOutcome Outcome { get; set; }
}
