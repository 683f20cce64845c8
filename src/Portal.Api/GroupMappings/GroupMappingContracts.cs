using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Portal.Api.Infrastructure;
using Portal.Core.Teams;

namespace Portal.Api.GroupMappings;

/// <summary>"Members of IdP group <c>group</c> get <c>role</c> in this team", applied at each sign-in.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AddGroupMappingRequest([property: MaxLength(GroupMapping.GroupMaxLength)] string Group, TeamRole Role);

public sealed record GroupMappingResponse(Guid Id, string Group, TeamRole Role, DateTimeOffset CreatedAt, long Version) : IVersionedResponse
{
    public static GroupMappingResponse From(GroupMapping m) => new(m.Id, m.Group, m.Role, m.CreatedAt, m.Version);
}
