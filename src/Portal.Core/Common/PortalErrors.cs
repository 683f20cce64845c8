namespace Portal.Core.Common;

/// <summary>
/// The few domain errors services throw. The API maps each to one RFC 9457 problem (404, 409, 400/422, 412, 403)
/// in a single exception handler, so endpoints never translate errors themselves.
/// </summary>
public abstract class PortalException(string message) : Exception(message);

/// <summary>The thing does not exist, or the caller may not know it exists (another team's resource).</summary>
public sealed class NotFoundException(string what, string key) : PortalException($"{what} '{key}' was not found.")
{
    public string What { get; } = what;
    public string Key { get; } = key;
}

/// <summary>The request is valid on its own but clashes with the current state (duplicate slug, last owner...).</summary>
public sealed class ConflictException(string message, string? field = null) : PortalException(message)
{
    public string? Field { get; } = field;
}

/// <summary>Input that breaks a domain rule; <see cref="Errors"/> maps a field path (camelCase) to messages.</summary>
public sealed class DomainValidationException(IReadOnlyDictionary<string, string[]> errors)
    : PortalException("One or more fields are invalid.")
{
    public DomainValidationException(string field, string message)
        : this(new Dictionary<string, string[]> { [field] = [message] }) { }

    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>An If-Match precondition no longer holds: someone changed the resource since the caller read it.</summary>
public sealed class PreconditionFailedException(string what, long? currentVersion)
    : PortalException($"{what} was changed by someone else since you read it{(currentVersion is null ? "" : $" (it is now at version {currentVersion})")}. Read it again and retry.")
{
    public long? CurrentVersion { get; } = currentVersion;
}

/// <summary>The caller can see the resource but may not do this to it (a viewer writing, a token lacking a scope).</summary>
public sealed class ForbiddenException(string message) : PortalException(message);
