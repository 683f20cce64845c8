namespace Portal.Core.Idempotency;

/// <summary>
/// The first answer to a POST carrying an <c>Idempotency-Key</c>, replayed for retries with the same key and body.
/// Keys are scoped to the caller so two users can never see each other's answers.
/// </summary>
public sealed class IdempotencyRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>Who sent it (user id), so keys from different callers never collide.</summary>
    public required string Scope { get; set; }

    public required string Key { get; set; }

    /// <summary>SHA-256 of method, path and body: the same key with another request is refused (422).</summary>
    public required string RequestHash { get; set; }

    /// <summary>Null while the first request is still being processed; concurrent retries wait for it.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    public int StatusCode { get; set; }
    public string? Location { get; set; }
    public string? ETag { get; set; }
    public string? ContentType { get; set; }
    public byte[] Body { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the key may be used for another request, as unix milliseconds so SQLite compares numbers (the clean-up's filter).</summary>
    public long ExpiresAtUnixMs { get; set; }
}
