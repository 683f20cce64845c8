namespace Portal.Core.Users;

/// <summary>One IdP group that grants a role in a team, from <c>Auth:GroupMappings</c>.</summary>
public sealed class ConfiguredGroupMapping
{
    public string Group { get; set; } = "";
    public string Team { get; set; } = "";
    public Teams.TeamRole Role { get; set; } = Teams.TeamRole.Viewer;
}

/// <summary>How identity-provider claims become portal users, admins and team roles (section <c>Auth</c>).</summary>
public sealed class IdentityOptions
{
    public const string SectionName = "Auth";

    /// <summary>The claim carrying IdP group names.</summary>
    public string GroupClaim { get; set; } = "groups";

    /// <summary>Members of these groups are platform admins (re-evaluated at every sign-in).</summary>
    public List<string> AdminGroups { get; set; } = [];

    /// <summary>Group-to-team mappings fixed by configuration, in addition to those teams set in the portal.</summary>
    public List<ConfiguredGroupMapping> GroupMappings { get; set; } = [];
}
