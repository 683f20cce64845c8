using System.Globalization;
using System.Text.RegularExpressions;
using Portal.Core.Catalog;
using Portal.Core.Common;
using Portal.Core.Costs.Hibernation;

namespace Portal.Core.Clusters;

/// <summary>What a caller asks a node pool to be.</summary>
public sealed record NodePoolSpec(
    string Name,
    IReadOnlyList<string>? InstanceTypes,
    CapacityType CapacityType,
    int MinSize,
    int DesiredSize,
    int MaxSize,
    int? DiskSizeGiB = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    IReadOnlyList<NodeTaint>? Taints = null,
    NodePoolScheduleSpec? Schedule = null);

/// <summary>
/// "Sleep outside working hours": the pool runs on <paramref name="WorkingDays"/> from <paramref name="Start"/> to
/// <paramref name="End"/> ("HH:mm", local time in the IANA <paramref name="TimeZone"/>) and is scaled to zero otherwise.
/// </summary>
public sealed record NodePoolScheduleSpec(string? TimeZone, IReadOnlyList<DayOfWeek>? WorkingDays, string? Start, string? End)
{
    public static NodePoolScheduleSpec From(HibernationSchedule schedule) => new(schedule.TimeZone, [.. schedule.WorkingDays.Order()],
        schedule.Start.ToString("HH:mm", CultureInfo.InvariantCulture), schedule.End.ToString("HH:mm", CultureInfo.InvariantCulture));
}

/// <summary>
/// The domain checks of a cluster spec, reporting every problem with its field path (<c>nodePools[1].instanceTypes[0]</c>)
/// so a form or a script can point at it. Pure: no database, no clock.
/// </summary>
internal sealed partial class ClusterSpecRules(ClusterOptions options, InstanceTypeCatalog catalog)
{
    public const int MaxInstanceTypesPerPool = 20;
    public const int MaxLabels = 50;
    public const int MaxTaints = 50;

    /// <summary>AWS reserves "aws:"; the platform's own tags (team, environment, cluster, cost centre) start with "unicron".</summary>
    private static readonly string[] ReservedTagPrefixes = ["aws:", "unicron"];

    /// <summary>Node labels the kubelet or EKS set themselves; a pool may not claim them.</summary>
    private static readonly string[] ReservedLabelDomains = ["kubernetes.io", "k8s.io", "eks.amazonaws.com"];

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    private static partial Regex AwsTagText();

    [GeneratedRegex("^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    public IReadOnlyList<string> SupportedVersions => options.KubernetesVersions;

    public string DefaultVersion => options.KubernetesVersions
        .Select(v => (Text: v, Parsed: KubernetesVersion.TryParse(v, out var p) ? p : default))
        .MaxBy(v => v.Parsed).Text;

    public void CheckName(ValidationErrors errors, string field, string? name)
    {
        if (Slugs.Check(name, Cluster.NameMinLength, Cluster.NameMaxLength) is { } problem) errors.Add(field, problem);
    }

    /// <summary>A version for a new cluster: any supported one.</summary>
    public void CheckSupportedVersion(ValidationErrors errors, string? version)
    {
        if (!options.KubernetesVersions.Contains(version ?? "", StringComparer.Ordinal))
            errors.Add("kubernetesVersion", $"must be one of the supported versions: {string.Join(", ", options.KubernetesVersions)}.");
    }

    /// <summary>
    /// A version change of an existing cluster: supported, not older, and at most the next minor (EKS upgrades the
    /// control plane one minor at a time, and cannot downgrade at all).
    /// </summary>
    public void CheckUpgrade(ValidationErrors errors, string current, string requested)
    {
        if (requested == current) return;
        CheckSupportedVersion(errors, requested);
        if (!KubernetesVersion.TryParse(requested, out var to) || !KubernetesVersion.TryParse(current, out var from)) return;
        if (to < from)
            errors.Add("kubernetesVersion", $"cannot go back from {from} to {to}: Kubernetes versions cannot be downgraded. To run {to}, create a new cluster.");
        else if (to > from.NextMinor)
            errors.Add("kubernetesVersion", $"must be upgraded one minor version at a time: from {from} the next step is {from.NextMinor}; ask for {to} after that upgrade finishes.");
    }

    public void CheckTags(ValidationErrors errors, IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null) return;
        if (tags.Count > Cluster.MaxTags) errors.Add("tags", $"must have at most {Cluster.MaxTags} entries (AWS allows 50; the platform adds its own).");
        foreach (var (key, value) in tags)
        {
            var field = $"tags.{key}";
            if (key.Length is 0 or > 128) errors.Add(field, "keys must be 1 to 128 characters.");
            else if (ReservedTagPrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
                errors.Add(field, "keys starting with 'aws:' or 'unicron' are reserved for AWS and the platform.");
            else if (!AwsTagText().IsMatch(key)) errors.Add(field, "keys may contain letters, digits, spaces and _ . : / = + - @ only.");
            if (value is null) errors.Add(field, "must have a value (it may be empty).");
            else if (value.Length > 256) errors.Add(field, "values must be at most 256 characters.");
            else if (!AwsTagText().IsMatch(value)) errors.Add(field, "values may contain letters, digits, spaces and _ . : / = + - @ only.");
        }
    }

    /// <summary>
    /// Checks every pool, and, for pools that already exist (by name), that the fields EKS cannot change on a node
    /// group are unchanged.
    /// </summary>
    public void CheckNodePools(ValidationErrors errors, IReadOnlyList<NodePoolSpec?>? pools, IReadOnlyDictionary<string, NodePool>? existing = null)
    {
        if (pools is null || pools.Count == 0)
        {
            errors.Add("nodePools", "must have at least one pool: the platform's core components need nodes to run on.");
            return;
        }
        if (pools.Count > Cluster.MaxNodePools) errors.Add("nodePools", $"must have at most {Cluster.MaxNodePools} pools.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < pools.Count; i++)
        {
            var path = $"nodePools[{i}]";
            if (pools[i] is not { } pool) { errors.Add(path, "must be a node pool, not null."); continue; }
            if (Slugs.Check(pool.Name, NodePool.NameMinLength, NodePool.NameMaxLength) is { } nameProblem) errors.Add($"{path}.name", nameProblem);
            else if (!names.Add(pool.Name)) errors.Add($"{path}.name", $"'{pool.Name}' is already the name of another pool of this cluster.");
            CheckPool(errors, path, pool);
            if (existing is not null && pool.Name is not null && existing.TryGetValue(pool.Name, out var current))
                CheckUnchangeable(errors, path, pool, current);
        }
    }

    private void CheckPool(ValidationErrors errors, string path, NodePoolSpec pool)
    {
        var types = pool.InstanceTypes;
        if (types is null || types.Count == 0) errors.Add($"{path}.instanceTypes", "must name at least one instance type.");
        else
        {
            if (types.Count > MaxInstanceTypesPerPool) errors.Add($"{path}.instanceTypes", $"must name at most {MaxInstanceTypesPerPool} types.");
            var known = new List<InstanceType>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var j = 0; j < types.Count; j++)
            {
                if (catalog.Find(types[j] ?? "") is { } type)
                {
                    if (seen.Add(type.Name)) known.Add(type);
                    else errors.Add($"{path}.instanceTypes[{j}]", $"'{type.Name}' is listed twice.");
                }
                else errors.Add($"{path}.instanceTypes[{j}]", $"'{types[j]}' is not an instance type the platform offers (GET /api/v1/instance-types lists them).");
            }
            // One AMI per node group: GPU types need the NVIDIA AMI, Inferentia the Neuron one, the rest the standard one.
            if (known.Select(t => t.Accelerator).Distinct().Count() > 1)
                errors.Add($"{path}.instanceTypes", "must be all GPU types or none (and Inferentia types only with each other): a pool has one machine image. Put GPU types in a pool of their own.");
            if (known.Select(t => t.Architecture).Distinct().Count() > 1)
                errors.Add($"{path}.instanceTypes", "must all have the same CPU architecture.");
        }
        if (!Enum.IsDefined(pool.CapacityType)) errors.Add($"{path}.capacityType", "must be on-demand or spot.");

        var cap = options.MaxNodesPerPool;
        if (pool.MinSize < 0) errors.Add($"{path}.minSize", "must be 0 or more.");
        if (pool.MaxSize < 1) errors.Add($"{path}.maxSize", "must be at least 1 (EKS needs room for one node).");
        else if (pool.MaxSize > cap) errors.Add($"{path}.maxSize", $"must be at most {cap}, the platform's limit per pool.");
        if (pool.MinSize > pool.MaxSize) errors.Add($"{path}.minSize", $"must not exceed maxSize ({pool.MaxSize}).");
        if (pool.DesiredSize < pool.MinSize || pool.DesiredSize > pool.MaxSize)
            errors.Add($"{path}.desiredSize", $"must be between minSize ({pool.MinSize}) and maxSize ({pool.MaxSize}).");
        if (pool.DiskSizeGiB is { } disk && (disk < NodePool.MinDiskSizeGiB || disk > NodePool.MaxDiskSizeGiB))
            errors.Add($"{path}.diskSizeGiB", $"must be between {NodePool.MinDiskSizeGiB} and {NodePool.MaxDiskSizeGiB} GiB.");

        if (pool.Labels is { } labels)
        {
            if (labels.Count > MaxLabels) errors.Add($"{path}.labels", $"must have at most {MaxLabels} entries.");
            foreach (var (key, value) in labels)
            {
                if (CheckLabelKey(key, reserveSystemDomains: true) is { } keyProblem) errors.Add($"{path}.labels.{key}", keyProblem);
                if (CheckLabelValue(value) is { } valueProblem) errors.Add($"{path}.labels.{key}", valueProblem);
            }
        }
        if (pool.Schedule is { } schedule) CheckSchedule(errors, $"{path}.schedule", pool, schedule);
        if (pool.Taints is { } taints)
        {
            if (taints.Count > MaxTaints) errors.Add($"{path}.taints", $"must have at most {MaxTaints} entries.");
            var seen = new HashSet<(string, TaintEffect)>();
            for (var k = 0; k < taints.Count; k++)
            {
                var taintPath = $"{path}.taints[{k}]";
                if (taints[k] is not { } taint) { errors.Add(taintPath, "must be a taint, not null."); continue; }
                if (CheckLabelKey(taint.Key, reserveSystemDomains: false) is { } keyProblem) errors.Add($"{taintPath}.key", keyProblem);
                if (CheckLabelValue(taint.Value) is { } valueProblem) errors.Add($"{taintPath}.value", valueProblem);
                if (!Enum.IsDefined(taint.Effect)) errors.Add($"{taintPath}.effect", "must be no-schedule, prefer-no-schedule or no-execute.");
                else if (taint.Key is not null && !seen.Add((taint.Key, taint.Effect)))
                    errors.Add(taintPath, $"duplicates another taint with key '{taint.Key}' and the same effect.");
            }
        }
    }

    /// <summary>
    /// A schedule: an IANA zone, at least one day, whole-minute "HH:mm" times that differ. Not on the GPU pools the
    /// portal keeps for inference endpoints: the endpoints already scale those to zero when nobody calls them.
    /// </summary>
    private static void CheckSchedule(ValidationErrors errors, string path, NodePoolSpec pool, NodePoolScheduleSpec schedule)
    {
        if (pool.Labels?.GetValueOrDefault(ClusterService.EndpointCapacityLabel) == ClusterService.EndpointCapacityValue)
        {
            errors.Add(path, "cannot be set on a GPU pool the portal manages for inference endpoints: they scale it to zero by themselves when idle.");
            return;
        }
        var start = ParseTime(errors, $"{path}.start", schedule.Start);
        var end = ParseTime(errors, $"{path}.end", schedule.End);
        if (schedule.WorkingDays is { } days && days.Any(d => !Enum.IsDefined(d))) errors.Add($"{path}.workingDays", "must be days of the week (monday … sunday).");
        else if (schedule.WorkingDays is { } list && list.Distinct().Count() != list.Count) errors.Add($"{path}.workingDays", "lists a day twice.");
        // An unreadable time is reported above; stand-ins that differ let the zone and days still be checked.
        var from = start ?? end?.AddHours(1) ?? TimeOnly.MinValue;
        var to = end ?? from.AddHours(1);
        HibernationSchedule.Check(errors, path, new HibernationSchedule(schedule.TimeZone ?? "", (schedule.WorkingDays ?? []).ToHashSet(), from, to));
    }

    private static TimeOnly? ParseTime(ValidationErrors errors, string field, string? text)
    {
        if (TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)) return time;
        errors.Add(field, $"'{text}' is not a time of day as HH:mm (24-hour, e.g. 08:00).");
        return null;
    }

    /// <summary>A checked schedule spec as the domain's schedule.</summary>
    public static HibernationSchedule? ToSchedule(NodePoolScheduleSpec? spec) => spec is null ? null : new HibernationSchedule(
        spec.TimeZone!, spec.WorkingDays!.ToHashSet(),
        TimeOnly.ParseExact(spec.Start!, "HH:mm", CultureInfo.InvariantCulture), TimeOnly.ParseExact(spec.End!, "HH:mm", CultureInfo.InvariantCulture));

    /// <summary>
    /// EKS updates a node group's scaling, labels and taints in place, but its instance types, capacity type and disk
    /// are fixed at creation: changing them means a new group, which should be the user's visible choice.
    /// </summary>
    private static void CheckUnchangeable(ValidationErrors errors, string path, NodePoolSpec pool, NodePool current)
    {
        const string advice = "cannot change on an existing pool (EKS would have to replace its nodes): add a pool with a new name and the new value, then remove this one.";
        if (pool.InstanceTypes is not null && !pool.InstanceTypes.SequenceEqual(current.InstanceTypes, StringComparer.Ordinal))
            errors.Add($"{path}.instanceTypes", advice);
        if (pool.CapacityType != current.CapacityType) errors.Add($"{path}.capacityType", advice);
        if ((pool.DiskSizeGiB ?? NodePool.DefaultDiskSizeGiB) != current.DiskSizeGiB) errors.Add($"{path}.diskSizeGiB", advice);
    }

    /// <summary>A Kubernetes qualified name: optional DNS subdomain prefix and '/', then a 1–63 character name.</summary>
    private static string? CheckLabelKey(string? key, bool reserveSystemDomains)
    {
        if (string.IsNullOrEmpty(key)) return "keys must not be empty.";
        var slash = key.LastIndexOf('/');
        var prefix = slash >= 0 ? key[..slash] : null;
        var name = slash >= 0 ? key[(slash + 1)..] : key;
        if (prefix is not null && (prefix.Length is 0 or > 253 || !Dns1123Subdomain().IsMatch(prefix)))
            return "keys' prefix (before '/') must be a DNS subdomain such as example.com.";
        if (name.Length is 0 or > 63 || !LabelName().IsMatch(name))
            return "keys' name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.";
        if (reserveSystemDomains && prefix is not null
            && ReservedLabelDomains.Any(d => prefix == d || prefix.EndsWith("." + d, StringComparison.Ordinal)))
            return $"keys under {prefix} are set by Kubernetes or EKS, not by pools.";
        return null;
    }

    private static string? CheckLabelValue(string? value)
    {
        if (value is null) return null;
        if (value.Length > 63 || !LabelName().IsMatch(value))
            return "values must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.";
        return null;
    }

    /// <summary>
    /// Applies a checked spec to a pool row: the AMI follows the instance types, and GPU pools get the
    /// <c>nvidia.com/gpu</c> NoSchedule taint unless the user set one with that key themselves.
    /// </summary>
    public void Apply(NodePool row, NodePoolSpec spec)
    {
        var types = spec.InstanceTypes!.Select(t => catalog.Find(t)!).ToList();
        var accelerator = types[0].Accelerator;
        var arm = types[0].Architecture == "arm64";
        row.InstanceTypes = types.Select(t => t.Name).ToList();
        row.CapacityType = spec.CapacityType;
        // A sleeping pool wakes to the sizes its owner asks for now, not to the ones it had at bedtime.
        var size = new PoolSize(spec.MinSize, spec.DesiredSize, spec.MaxSize);
        if (row.RememberedSize is not null && row.SpecSize != size) row.RememberedSize = size;
        row.Schedule = ToSchedule(spec.Schedule);
        if (row.Schedule is null) (row.WokenAt, row.WakeUntil) = (null, null);
        row.MinSize = spec.MinSize;
        row.DesiredSize = spec.DesiredSize;
        row.MaxSize = spec.MaxSize;
        row.DiskSizeGiB = spec.DiskSizeGiB ?? NodePool.DefaultDiskSizeGiB;
        row.Labels = new Dictionary<string, string>(spec.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        var taints = (spec.Taints ?? []).ToList();
        row.IsGpu = accelerator == AcceleratorKind.NvidiaGpu;
        if (row.IsGpu && !taints.Any(t => t.Key == NodePool.GpuTaint.Key)) taints.Add(NodePool.GpuTaint);
        row.Taints = taints;
        row.AmiType = (accelerator, arm) switch
        {
            (AcceleratorKind.NvidiaGpu, false) => NodePool.NvidiaAmiType,
            (AcceleratorKind.NvidiaGpu, true) => "AL2023_ARM_64_NVIDIA",
            (AcceleratorKind.Neuron, _) => NodePool.NeuronAmiType,
            (_, true) => "AL2023_ARM_64_STANDARD",
            _ => NodePool.StandardAmiType,
        };
    }
}
