using System.Globalization;
using Portal.Core.Clusters;
using Portal.Core.Costs.Hibernation;

namespace Portal.Web.Components.Shared.Clusters;

/// <summary>
/// A node pool as a form edits it: mutable, and kept as typed even when the service refuses it, so the user fixes
/// their input instead of retyping it. <see cref="ToSpec"/> makes the request the service checks.
/// </summary>
public sealed class NodePoolDraft
{
    public string Name { get; set; } = "";
    public List<string> InstanceTypes { get; set; } = [];
    public CapacityType CapacityType { get; set; }
    public int MinSize { get; set; } = 1;
    public int DesiredSize { get; set; } = 2;
    public int MaxSize { get; set; } = 3;
    public int DiskSizeGiB { get; set; } = NodePool.DefaultDiskSizeGiB;

    /// <summary>
    /// A pool the cluster already has: EKS cannot change its instance types, capacity type or disk in place, so the
    /// editor locks those fields instead of letting the user ask for what the service would refuse.
    /// </summary>
    public bool Existing { get; init; }

    /// <summary>Kubernetes labels of the pool's nodes, as typed (a key may be typed twice; the editor flags it).</summary>
    public List<KeyValueDraft> Labels { get; set; } = [];

    /// <summary>Taints of the pool's nodes. A GPU pool's <c>nvidia.com/gpu</c> taint is added by the service if missing.</summary>
    public List<TaintDraft> Taints { get; set; } = [];

    /// <summary>"Sleep outside working hours": the pool runs on these days and hours only (the schedule fields below).</summary>
    public bool Sleeps { get; set; }

    public const string DefaultTimeZone = "Europe/Madrid";

    public string TimeZone { get; set; } = DefaultTimeZone;
    public HashSet<DayOfWeek> WorkingDays { get; set; } = [.. HibernationSchedule.MondayToFriday];
    public string Start { get; set; } = "08:00";
    public string End { get; set; } = "18:00";

    public static NodePoolDraft From(NodePool pool) => new()
    {
        Sleeps = pool.Schedule is not null,
        TimeZone = pool.Schedule?.TimeZone ?? DefaultTimeZone,
        WorkingDays = pool.Schedule is { } s ? [.. s.WorkingDays] : [.. HibernationSchedule.MondayToFriday],
        Start = pool.Schedule?.Start.ToString("HH:mm", CultureInfo.InvariantCulture) ?? "08:00",
        End = pool.Schedule?.End.ToString("HH:mm", CultureInfo.InvariantCulture) ?? "18:00",
        Name = pool.Name,
        InstanceTypes = [.. pool.InstanceTypes],
        CapacityType = pool.CapacityType,
        MinSize = pool.MinSize,
        DesiredSize = pool.DesiredSize,
        MaxSize = pool.MaxSize,
        DiskSizeGiB = pool.DiskSizeGiB,
        Existing = true,
        Labels = KeyValueDraft.From(pool.Labels),
        Taints = [.. pool.Taints.Select(t => new TaintDraft { Key = t.Key, Value = t.Value ?? "", Effect = t.Effect })],
    };

    /// <summary>
    /// Rows go to the service as typed, blank ones included, so it names what is wrong with them (by key for labels,
    /// by position for taints, the same positions the editor shows).
    /// </summary>
    public NodePoolSpec ToSpec() =>
        new(Name.Trim(), [.. InstanceTypes], CapacityType, MinSize, DesiredSize, MaxSize, DiskSizeGiB, KeyValueDraft.ToMap(Labels),
            [.. Taints.Select(t => new NodeTaint(t.Key.Trim(), string.IsNullOrWhiteSpace(t.Value) ? null : t.Value.Trim(), t.Effect))],
            Sleeps ? new NodePoolScheduleSpec(TimeZone.Trim(), [.. WorkingDays.Order()], Start.Trim(), End.Trim()) : null);
}

/// <summary>One key = value row of a labels or tags editor.</summary>
public sealed class KeyValueDraft
{
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";

    public static List<KeyValueDraft> From(IReadOnlyDictionary<string, string> map) =>
        [.. map.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new KeyValueDraft { Key = e.Key, Value = e.Value })];

    /// <summary>The map the service checks; a key typed twice keeps its last value (the editor has flagged it).</summary>
    public static Dictionary<string, string> ToMap(IEnumerable<KeyValueDraft> rows)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in rows) map[row.Key.Trim()] = row.Value.Trim();
        return map;
    }

    public static bool HasDuplicates(IEnumerable<KeyValueDraft> rows) =>
        rows.GroupBy(r => r.Key.Trim(), StringComparer.Ordinal).Any(g => g.Count() > 1);
}

public sealed class TaintDraft
{
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
    public TaintEffect Effect { get; set; } = TaintEffect.NoSchedule;
}
