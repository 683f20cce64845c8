namespace Portal.Api.Idempotency;

/// <summary>
/// Endpoint metadata: these top-level JSON properties of the answer are secrets shown once, so the stored copy for
/// Idempotency-Key replays keeps them as null. A replay then tells the caller the request succeeded without the
/// secret ever being written to the database.
/// </summary>
public sealed record RedactOnReplay(params string[] Properties);
