namespace Portal.Core.Common;

/// <summary>
/// A row with optimistic concurrency: <see cref="Version"/> is a concurrency token the DbContext bumps on every
/// update, so a stale writer gets a conflict instead of silently overwriting. The API exposes it as the ETag.
/// </summary>
public interface IVersioned
{
    long Version { get; set; }
}
