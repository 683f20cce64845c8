using Portal.Core.Common;

namespace Portal.Core.Teams;

/// <summary>The tenant: everything a team owns (environments, clusters, add-ons, endpoints) is invisible to others.</summary>
public sealed class Team : IVersioned
{
    public const int SlugMinLength = 3;
    public const int SlugMaxLength = 30;
    public const int DisplayNameMaxLength = 100;
    public const int DescriptionMaxLength = 2000;
    public const int CostCentreMaxLength = 50;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>DNS-1123 label, unique and immutable: it names AWS tags, namespaces and URLs.</summary>
    public required string Slug { get; set; }

    public required string DisplayName { get; set; }
    public string? Description { get; set; }
    public string? CostCentre { get; set; }
    public required Guid CreatedByUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public long Version { get; set; }

    public List<Membership> Members { get; set; } = [];
}
