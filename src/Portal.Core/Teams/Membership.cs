using Portal.Core.Common;
using Portal.Core.Users;

namespace Portal.Core.Teams;

public sealed class Membership : IVersioned
{
    public Guid TeamId { get; set; }
    public Team? Team { get; set; }
    public Guid UserId { get; set; }
    public User? User { get; set; }
    public TeamRole Role { get; set; }
    public MembershipSource Source { get; set; }
    public DateTimeOffset AddedAt { get; set; }
    public long Version { get; set; }
}
