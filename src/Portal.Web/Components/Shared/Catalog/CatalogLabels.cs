using MudBlazor;
using Portal.Core.Addons.Catalog;

namespace Portal.Web.Components.Shared.Catalog;

/// <summary>How catalogue values read on screen: the API's lower-case words, colours and icons.</summary>
public static class CatalogLabels
{
    public static string Of(AddonCategory category) => category switch
    {
        AddonCategory.DataProcessing => "Data processing",
        AddonCategory.Orchestration => "Orchestration",
        AddonCategory.Notebooks => "Notebooks",
        AddonCategory.MlLifecycle => "ML lifecycle",
        AddonCategory.Serving => "Serving",
        AddonCategory.Monitoring => "Monitoring",
        _ => category.ToString(),
    };

    public static string Of(Maturity maturity) => maturity.ToString().ToLowerInvariant();

    /// <summary>Where the maturity policy lets a version run, in the words the details page uses.</summary>
    public static string WhereItRuns(Maturity maturity) => maturity switch
    {
        Maturity.Alpha => "dev only",
        Maturity.Beta => "dev + staging",
        _ => "everywhere",
    };

    /// <summary>The badge colour; the badge always carries the word too, so colour is never the only signal.</summary>
    public static Color ColorOf(Maturity maturity) => maturity switch
    {
        Maturity.Alpha => Color.Warning,
        Maturity.Beta => Color.Info,
        _ => Color.Success,
    };

    /// <summary>"chart spark-operator 2.5.2 from https://…" or "path manifests at 2.16.0 of https://…".</summary>
    public static string Source(AddonSource source) => source switch
    {
        { Helm: { } helm } => $"Helm chart {helm.Chart} {helm.Version} from {helm.RepoUrl}",
        { Git: { } git } => $"Git {git.RepoUrl}, path {git.Path} at {git.Revision}",
        _ => "unknown",
    };

    /// <summary>"≥ 1.29", "1.29 – 1.34", "≤ 1.34" or "any".</summary>
    public static string KubernetesRange(AddonVersion version) => (version.MinKubernetesVersion, version.MaxKubernetesVersion) switch
    {
        ({ } min, { } max) => $"{min} – {max}",
        ({ } min, null) => $"≥ {min}",
        (null, { } max) => $"≤ {max}",
        _ => "any",
    };

    public static string Requirement(AddonRequirement requirement) =>
        requirement.VersionRange is "*" or "" ? requirement.AddonId : $"{requirement.AddonId} {requirement.VersionRange}";

    /// <summary>The first sentence (or the first 160 characters) of a description, for the cards.</summary>
    public static string Summary(string description)
    {
        var text = string.Join(' ', description.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        if (end > 0 && end < 160) return text[..(end + 1)];
        return text.Length <= 160 ? text : text[..157].TrimEnd() + "…";
    }

    /// <summary>
    /// The catalogue names icons by their Material name ("Bolt"); a plain switch keeps the mapping visible and
    /// trimmable. A name not listed here falls back to its category's icon.
    /// </summary>
    public static string IconOf(AddonEntry entry) => MaterialIcon(entry.Icon) ?? IconOf(entry.Category);

    /// <summary>The filled Material icon of that name, or null when the portal does not draw it.</summary>
    internal static string? MaterialIcon(string name) => name switch
    {
        "Schema" => Icons.Material.Filled.Schema,
        "VerifiedUser" => Icons.Material.Filled.VerifiedUser,
        "Bolt" => Icons.Material.Filled.Bolt,
        "Air" => Icons.Material.Filled.Air,
        "Schedule" => Icons.Material.Filled.Schedule,
        "AccountTree" => Icons.Material.Filled.AccountTree,
        "Timeline" => Icons.Material.Filled.Timeline,
        "Science" => Icons.Material.Filled.Science,
        "Insights" => Icons.Material.Filled.Insights,
        "ModelTraining" => Icons.Material.Filled.ModelTraining,
        "Tune" => Icons.Material.Filled.Tune,
        "Hub" => Icons.Material.Filled.Hub,
        "Storage" => Icons.Material.Filled.Storage,
        "Dataset" => Icons.Material.Filled.Dataset,
        "Analytics" => Icons.Material.Filled.Analytics,
        "MonitorHeart" => Icons.Material.Filled.MonitorHeart,
        "Monitor" => Icons.Material.Filled.Monitor,
        "Speed" => Icons.Material.Filled.Speed,
        "Memory" => Icons.Material.Filled.Memory,
        "Cloud" => Icons.Material.Filled.Cloud,
        "Code" => Icons.Material.Filled.Code,
        "MenuBook" => Icons.Material.Filled.MenuBook,
        "Book" => Icons.Material.Filled.Book,
        "Psychology" => Icons.Material.Filled.Psychology,
        "Biotech" => Icons.Material.Filled.Biotech,
        "DeviceHub" => Icons.Material.Filled.DeviceHub,
        "Dns" => Icons.Material.Filled.Dns,
        "Autorenew" => Icons.Material.Filled.Autorenew,
        "QueryStats" => Icons.Material.Filled.QueryStats,
        "Apps" => Icons.Material.Filled.Apps,
        "Extension" => Icons.Material.Filled.Extension,
        "Waves" => Icons.Material.Filled.Waves,
        "RocketLaunch" => Icons.Material.Filled.RocketLaunch,
        "DataObject" => Icons.Material.Filled.DataObject,
        "Functions" => Icons.Material.Filled.Functions,
        "Terminal" => Icons.Material.Filled.Terminal,
        "AutoGraph" => Icons.Material.Filled.AutoGraph,
        "Workspaces" => Icons.Material.Filled.Workspaces,
        "BarChart" => Icons.Material.Filled.BarChart,
        "ShowChart" => Icons.Material.Filled.ShowChart,
        "Dashboard" => Icons.Material.Filled.Dashboard,
        "Sensors" => Icons.Material.Filled.Sensors,
        "Api" => Icons.Material.Filled.Api,
        "Layers" => Icons.Material.Filled.Layers,
        "Inventory2" => Icons.Material.Filled.Inventory2,
        "Lan" => Icons.Material.Filled.Lan,
        "Settings" => Icons.Material.Filled.Settings,
        "AutoAwesome" => Icons.Material.Filled.AutoAwesome,
        "Transform" => Icons.Material.Filled.Transform,
        "Route" => Icons.Material.Filled.Route,
        "Pets" => Icons.Material.Filled.Pets,
        "Grain" => Icons.Material.Filled.Grain,
        "Scale" => Icons.Material.Filled.Scale,
        "LocalFireDepartment" => Icons.Material.Filled.LocalFireDepartment,
        "Whatshot" => Icons.Material.Filled.Whatshot,
        "Notes" => Icons.Material.Filled.Notes,
        "Visibility" => Icons.Material.Filled.Visibility,
        "Cable" => Icons.Material.Filled.Cable,
        _ => null,
    };

    public static string IconOf(AddonCategory category) => category switch
    {
        AddonCategory.DataProcessing => Icons.Material.Filled.Bolt,
        AddonCategory.Orchestration => Icons.Material.Filled.AccountTree,
        AddonCategory.Notebooks => Icons.Material.Filled.MenuBook,
        AddonCategory.MlLifecycle => Icons.Material.Filled.ModelTraining,
        AddonCategory.Serving => Icons.Material.Filled.RocketLaunch,
        AddonCategory.Monitoring => Icons.Material.Filled.MonitorHeart,
        _ => Icons.Material.Filled.Extension,
    };
}
