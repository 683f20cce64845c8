using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Portal.Api.Infrastructure;
using Portal.Core.Teams;

namespace Portal.Api.Members;

/// <summary>Adds someone by e-mail; people who never signed in are invited and join at their first sign-in.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AddMemberRequest([property: MaxLength(320)] string Email, TeamRole Role);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChangeMemberRoleRequest(TeamRole Role);

/// <summary>
/// A member of a team. <c>source</c> tells whether an owner set the role in the portal or an IdP group granted it;
/// <c>invited</c> is true until the person first signs in.
/// </summary>
public sealed record MemberResponse(
    Guid UserId,
    string Email,
    string DisplayName,
    TeamRole Role,
    MembershipSource Source,
    bool Invited,
    DateTimeOffset AddedAt,
    long Version) : IVersionedResponse
{
    public static MemberResponse From(MemberView view) => new(
        view.User.Id, view.User.Email, view.User.DisplayName, view.Membership.Role, view.Membership.Source,
        view.User.Subject is null, view.Membership.AddedAt, view.Membership.Version);
}
