using System.Globalization;
using MudBlazor;
using Portal.Core.Catalog;
using Portal.Core.Clusters;
using Portal.Core.Events;

namespace Portal.Web.Components.Shared.Clusters;

/// <summary>How cluster values read on screen: the API's lower-case words, plus the colours and icons that go with them.</summary>
public static class ClusterLabels
{
    public static string Of(ClusterPhase phase) => phase.ToString();

    public static string Of(CapacityType capacity) => capacity == CapacityType.Spot ? "spot" : "on-demand";

    public static string Of(EventOutcome outcome) => outcome.ToString().ToLowerInvariant();

    /// <summary>The badge colour; the badge always carries the phase's name too, so colour is never the only signal.</summary>
    public static Color ColorOf(ClusterPhase phase) => phase switch
    {
        ClusterPhase.Ready => Color.Success,
        ClusterPhase.Provisioning or ClusterPhase.Updating => Color.Info,
        ClusterPhase.Deleting => Color.Warning,
        ClusterPhase.Failed => Color.Error,
        ClusterPhase.Attached => Color.Secondary,
        _ => Color.Default,
    };

    public static string IconOf(ClusterPhase phase) => phase switch
    {
        ClusterPhase.Ready => Icons.Material.Filled.CheckCircle,
        ClusterPhase.Provisioning or ClusterPhase.Updating => Icons.Material.Filled.Autorenew,
        ClusterPhase.Deleting => Icons.Material.Filled.DeleteSweep,
        ClusterPhase.Failed => Icons.Material.Filled.Error,
        ClusterPhase.Attached => Icons.Material.Filled.Link,
        _ => Icons.Material.Filled.HourglassEmpty,
    };

    public static Color ColorOf(EventOutcome outcome) => outcome switch
    {
        EventOutcome.Succeeded => Color.Success,
        EventOutcome.Failed => Color.Error,
        EventOutcome.Started => Color.Info,
        _ => Color.Default,
    };

    /// <summary>Phases in which a worker is (or soon will be) doing something: the page shows progress and keeps polling.</summary>
    public static bool IsBusy(ClusterPhase phase) =>
        phase is ClusterPhase.Pending or ClusterPhase.Provisioning or ClusterPhase.Updating or ClusterPhase.Deleting;

    /// <summary>
    /// Whether the status can still change without anyone touching the spec. A Ready cluster whose observed generation
    /// lags has a change the reconciler has not picked up yet, so it is not settled either.
    /// </summary>
    public static bool IsSettled(Cluster cluster) =>
        !IsBusy(cluster.Phase) && cluster.ObservedGeneration >= cluster.Generation;

    /// <summary>"2 × A10G" style GPU text, or null for a type without GPUs.</summary>
    public static string? Gpu(InstanceType type) =>
        type.IsGpu ? $"{type.GpuCount} × {(type.GpuManufacturer is { } m ? m.ToUpperInvariant() + " " : "")}{(type.GpuModel ?? "GPU").ToUpperInvariant()}" : null;

    public static string Memory(InstanceType type) =>
        type.MemoryGiB.ToString(type.MemoryGiB % 1 == 0 ? "0" : "0.##", CultureInfo.InvariantCulture) + " GiB";

    public static string Price(InstanceType type) =>
        type.OnDemandHourlyUsd is { } usd ? "$" + usd.ToString("0.####", CultureInfo.InvariantCulture) + "/h" : "no price";

    /// <summary>The label next to every price: the source publishes only one region's on-demand list price.</summary>
    public static string PriceNote => $"{InstanceTypeCatalog.PriceRegion} on-demand price";

    /// <summary>"m5.large: 2 vCPU, 8 GiB, $0.096/h" for lists and the review step.</summary>
    public static string Describe(InstanceType type) =>
        $"{type.Name}: {type.VCpu} vCPU, {Memory(type)}{(Gpu(type) is { } gpu ? ", " + gpu : "")}, {Price(type)}";

    /// <summary>One line per pool for the cluster list: "general 2 × m5.large (1–3, spot)".</summary>
    public static string Summary(NodePool pool) =>
        $"{pool.Name}: {pool.DesiredSize} × {string.Join("/", pool.InstanceTypes)} ({pool.MinSize}–{pool.MaxSize}, {Of(pool.CapacityType)}{(pool.IsGpu ? ", GPU" : "")})";
}
