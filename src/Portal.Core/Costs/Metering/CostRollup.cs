using Portal.Core.Environments;

namespace Portal.Core.Costs.Metering;

public enum CostGrouping
{
    Team = 0,
    Environment = 1,
    Cluster = 2,
    NodePool = 3,
    Endpoint = 4,
}

/// <summary>
/// One row of a cost report: the exact total of its lines, and <paramref name="Cents"/>, the total rounded so that
/// the rows of one report add up to the report's rounded total to the cent.
/// </summary>
public sealed record CostGroup(string Key, Money Total, decimal Cents, decimal IdleAmount);

public static class CostRollup
{
    /// <summary>
    /// The key of a line under a grouping. Lines without a pool or endpoint keep a visible bucket instead of vanishing
    /// ("(cluster)" for the control plane, "(idle)" for unclaimed GPUs, "(not an endpoint)" for the rest), so every
    /// grouping sums to the same total.
    /// </summary>
    public static string KeyOf(CostLine line, CostGrouping by) =>
        KeyOf(by, line.Team, line.Environment, line.Cluster, line.NodePool, line.Endpoint, line.Category == CostCategory.Idle);

    /// <summary>The same key from the columns it depends on (what a report aggregated in SQL has left of its lines).</summary>
    public static string KeyOf(CostGrouping by, string team, EnvironmentName? environment, string? cluster, string? nodePool, string? endpoint, bool idle) => by switch
    {
        CostGrouping.Team => team,
        CostGrouping.Environment => $"{team}/{Lower(environment)}",
        CostGrouping.Cluster => $"{team}/{Lower(environment)}/{cluster}",
        CostGrouping.NodePool => $"{team}/{Lower(environment)}/{cluster}/{nodePool ?? "(cluster)"}",
        _ => endpoint is not null ? $"{team}/{cluster}/{endpoint}"
            : idle ? $"{team}/{cluster}/(idle)"
            : $"{team}/{cluster}/(not an endpoint)",
    };

    private static string Lower(EnvironmentName? environment) => environment?.ToString().ToLowerInvariant() ?? "";

    public static IReadOnlyList<CostGroup> Rollup(IEnumerable<CostLine> lines, CostGrouping by)
    {
        var groups = lines.GroupBy(l => KeyOf(l, by), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, Total: Money.Sum(g.Select(l => l.Amount)),
                Idle: g.Where(l => l.Category == CostCategory.Idle).Sum(l => l.Amount.Amount)))
            .ToList();
        var cents = CentRounding.ToCents(groups.Select(g => g.Total.Amount).ToList());
        return groups.Select((g, i) => new CostGroup(g.Key, g.Total, cents[i], g.Idle)).ToList();
    }
}
