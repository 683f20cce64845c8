using MudBlazor;
using Portal.Core.Addons.Installations;

namespace Portal.Web.Components.Shared.Addons;

/// <summary>How an installation's phase reads on screen: a word, a colour and an icon (never colour alone).</summary>
public static class AddonLabels
{
    public static string Of(AddonPhase phase) => phase.ToString();

    public static Color ColorOf(AddonPhase phase) => phase switch
    {
        AddonPhase.Healthy => Color.Success,
        AddonPhase.Degraded or AddonPhase.Failed => Color.Error,
        AddonPhase.Missing => Color.Warning,
        AddonPhase.Uninstalling => Color.Default,
        _ => Color.Info,
    };

    public static string IconOf(AddonPhase phase) => phase switch
    {
        AddonPhase.Healthy => Icons.Material.Filled.CheckCircle,
        AddonPhase.Degraded or AddonPhase.Failed => Icons.Material.Filled.Error,
        AddonPhase.Missing => Icons.Material.Filled.HelpOutline,
        AddonPhase.Uninstalling => Icons.Material.Filled.DeleteSweep,
        _ => Icons.Material.Filled.Autorenew,
    };

    /// <summary>
    /// Settled: the reconciler has seen the latest spec and reached Healthy or Failed. Degraded and Missing are not:
    /// Argo CD keeps retrying and may turn them Healthy, so the page keeps watching.
    /// </summary>
    public static bool IsSettled(AddonInstallation installation) =>
        installation.ObservedGeneration >= installation.Generation && installation.Phase is AddonPhase.Healthy or AddonPhase.Failed;

    public static string Of(PromotionChangeKind kind) => kind switch
    {
        PromotionChangeKind.Added => "added",
        PromotionChangeKind.Upgraded => "upgraded",
        PromotionChangeKind.ValuesChanged => "values changed",
        _ => "removed",
    };
}
