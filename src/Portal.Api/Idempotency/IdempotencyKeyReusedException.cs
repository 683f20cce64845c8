namespace Portal.Api.Idempotency;

/// <summary>The same Idempotency-Key came with a different request: refusing (422) protects the first answer.</summary>
public sealed class IdempotencyKeyReusedException()
    : Exception("This Idempotency-Key was already used for a different request (other method, path or body). Use a new key for a new request.");
