using Portal.Core.Common;

namespace Portal.Core.Teams;

/// <summary>
/// "Members of IdP group X get role R in this team": applied at every sign-in. Mappings also come from
/// configuration (<c>Auth:GroupMappings</c>); those are not stored here.
/// </summary>
public sealed class GroupMapping : IVersioned
{
    public const int GroupMaxLength = 256;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TeamId { get; set; }
    public required string Group { get; set; }
    public TeamRole Role { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public long Version { get; set; }
}
