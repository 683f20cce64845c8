using Portal.Core.Environments;

namespace Portal.Core.Addons.Catalog;

/// <summary>Where a version may go: alpha only to dev, beta to dev and staging, stable everywhere.</summary>
public static class MaturityPolicy
{
    public static bool Allows(Maturity maturity, EnvironmentName environment) => maturity switch
    {
        Maturity.Stable => true,
        Maturity.Beta => environment is EnvironmentName.Dev or EnvironmentName.Staging,
        _ => environment is EnvironmentName.Dev,
    };

    /// <summary>Why <paramref name="maturity"/> may not go to <paramref name="environment"/>, in plain words; null when it may.</summary>
    public static string? Refusal(Maturity maturity, EnvironmentName environment) => Allows(maturity, environment)
        ? null
        : $"{char.ToUpperInvariant(Name(maturity)[0])}{Name(maturity)[1..]} versions may only be installed on {AllowedList(maturity)} clusters, and this is a {Name(environment)} cluster.";

    /// <summary>The environments a maturity may go to, for the UI ("dev and staging").</summary>
    public static IReadOnlyList<EnvironmentName> AllowedEnvironments(Maturity maturity) =>
        [.. Enum.GetValues<EnvironmentName>().Where(e => Allows(maturity, e))];

    internal static string Name(Maturity maturity) => maturity.ToString().ToLowerInvariant();

    internal static string Name(EnvironmentName environment) => environment.ToString().ToLowerInvariant();

    private static string AllowedList(Maturity maturity)
    {
        var names = AllowedEnvironments(maturity).Select(Name).ToList();
        return names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} and {names[^1]}";
    }
}
