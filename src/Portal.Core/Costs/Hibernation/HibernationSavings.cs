using Portal.Core.Costs.Budgets;

namespace Portal.Core.Costs.Hibernation;

/// <summary>What a schedule saves a pool in a month: hours asleep × nodes × (node price + its root volume).</summary>
public sealed record HibernationSaving(BudgetMonth Month, decimal HoursInMonth, decimal HoursAsleep, int Nodes, Money Saving);

public static class HibernationSavings
{
    /// <summary>
    /// The estimated saving for a UTC month, counting the month's real hours (DST days included) the schedule keeps
    /// the pool asleep, times the nodes it would otherwise run at <paramref name="nodeHourly"/>, plus the root
    /// volumes that go with the nodes (<paramref name="diskGiBPerNode"/> at <paramref name="gp3PerGbMonth"/>).
    /// An estimate: it assumes the pool would run <paramref name="nodes"/> nodes all day.
    /// </summary>
    public static HibernationSaving EstimateMonthly(HibernationSchedule schedule, BudgetMonth month, int nodes, Money nodeHourly,
        int diskGiBPerNode = 0, Money? gp3PerGbMonth = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodes);
        var hours = (decimal)month.Hours;
        var asleep = hours - HibernationCalendar.RunningHours(schedule, month.Start, month.End);
        var perNodeHour = nodeHourly;
        if (diskGiBPerNode > 0 && gp3PerGbMonth is { } gp3) perNodeHour += gp3 * diskGiBPerNode / hours;
        return new HibernationSaving(month, hours, asleep, nodes, perNodeHour * (asleep * nodes));
    }
}
