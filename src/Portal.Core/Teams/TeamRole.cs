namespace Portal.Core.Teams;

/// <summary>Ordered by power: a higher role can do everything a lower one can.</summary>
public enum TeamRole
{
    Viewer = 0,
    Maintainer = 1,
    Owner = 2,
}

/// <summary>Where a membership came from, so sign-in group sync never overrides what an owner set by hand.</summary>
public enum MembershipSource
{
    Portal = 0,
    IdentityProviderGroup = 1,
}
