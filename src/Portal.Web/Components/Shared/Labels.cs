using MudBlazor;
using Portal.Core.Environments;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;
using Portal.Core.Teams;
using Portal.Core.Tokens;

namespace Portal.Web.Components.Shared;

/// <summary>How domain values read on screen: the same lower-case words the API uses.</summary>
public static class Labels
{
    public static string Of(TeamRole role) => role.ToString().ToLowerInvariant();

    public static string Of(EnvironmentName name) => name.ToString().ToLowerInvariant();

    public static string Of(ReliabilityTier tier) => tier switch
    {
        ReliabilityTier.BestEffort => "best-effort",
        _ => tier.ToString().ToLowerInvariant(),
    };

    public static string Of(TokenScopes scopes) =>
        scopes == TokenScopes.None
            ? "none"
            : string.Join(", ", Enum.GetValues<TokenScopes>().Where(s => s != TokenScopes.None && scopes.HasFlag(s)).Select(s => s.ToString().ToLowerInvariant()));

    /// <summary>UTC, as the API reports it, so people comparing the UI and API output see the same times.</summary>
    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'") : "—";

    public static string Date(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd") : "—";

    public static Color ColorOf(TeamRole role) => role switch
    {
        TeamRole.Owner => Color.Primary,
        TeamRole.Maintainer => Color.Secondary,
        _ => Color.Default,
    };
}
