namespace Portal.Web.Identity;

/// <summary>A ready-made identity for the development sign-in, standing in for what an IdP would send.</summary>
public sealed record DevelopmentPersona(string Key, string Title, string Description, string Subject, string Email, string DisplayName, string[] Groups);

/// <summary>
/// The personas of the development sign-in and the demo team they meet in. Their groups go through the same
/// group mappings as real SSO sign-ins, so trying the portal locally exercises the production code path.
/// </summary>
public static class DevelopmentPersonas
{
    public const string AdminGroup = "unicron-platform-admins";
    public const string DemoTeam = "demo";
    public const string DemoOwnersGroup = "unicron-demo-owners";
    public const string DemoViewersGroup = "unicron-demo-viewers";

    public static readonly DevelopmentPersona Admin = new("admin", "Platform admin",
        "Sees and manages every team; reads the whole audit log.",
        "dev|alice", "alice@unicron.dev", "Alice Admin", [AdminGroup]);

    public static readonly DevelopmentPersona Owner = new("owner", "Team owner",
        "Owns the demo team: manages its members, environments and tokens.",
        "dev|olivia", "olivia@unicron.dev", "Olivia Owner", [DemoOwnersGroup]);

    public static readonly DevelopmentPersona Viewer = new("viewer", "Team viewer",
        "Reads the demo team but cannot change anything.",
        "dev|victor", "victor@unicron.dev", "Victor Viewer", [DemoViewersGroup]);

    public static IReadOnlyList<DevelopmentPersona> All { get; } = [Admin, Owner, Viewer];

    public static DevelopmentPersona? Find(string? key) => All.FirstOrDefault(p => p.Key == key);
}
