using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Portal.Api.Infrastructure;
using Portal.Core.Teams;

namespace Portal.Api.Teams;

/// <summary>A new team. The caller becomes its first owner unless a platform admin names <c>ownerEmail</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateTeamRequest(
    [property: MaxLength(Team.SlugMaxLength)] string Slug,
    [property: MaxLength(Team.DisplayNameMaxLength)] string DisplayName,
    [property: MaxLength(Team.DescriptionMaxLength)] string? Description = null,
    [property: MaxLength(Team.CostCentreMaxLength)] string? CostCentre = null,
    [property: MaxLength(320)] string? OwnerEmail = null);

/// <summary>A partial update: an absent field stays as it is; an empty string clears an optional one. The slug is immutable.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpdateTeamRequest(
    [property: MaxLength(Team.DisplayNameMaxLength)] string? DisplayName = null,
    [property: MaxLength(Team.DescriptionMaxLength)] string? Description = null,
    [property: MaxLength(Team.CostCentreMaxLength)] string? CostCentre = null);

/// <summary>A team as the caller sees it; <c>myRole</c> is null for platform admins who are not members.</summary>
public sealed record TeamResponse(
    string Slug,
    string DisplayName,
    string? Description,
    string? CostCentre,
    TeamRole? MyRole,
    int MemberCount,
    DateTimeOffset CreatedAt,
    long Version) : IVersionedResponse
{
    public static TeamResponse From(TeamView view) => new(
        view.Team.Slug, view.Team.DisplayName, view.Team.Description, view.Team.CostCentre,
        view.MyRole, view.MemberCount, view.Team.CreatedAt, view.Team.Version);
}
