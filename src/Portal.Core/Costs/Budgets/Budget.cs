using Portal.Core.Common;
using Portal.Core.Environments;

namespace Portal.Core.Costs.Budgets;

/// <summary>
/// A monthly budget of a team, or of one of its environments when <paramref name="Environment"/> is set.
/// <paramref name="ThresholdsPercent"/> are the spend levels (percent of the limit) that notify once per month.
/// </summary>
public sealed record Budget(string Team, EnvironmentName? Environment, Money MonthlyLimit, IReadOnlyList<int> ThresholdsPercent)
{
    public static readonly IReadOnlyList<int> DefaultThresholds = [50, 80, 100];
    public const int MaxThresholds = 10;
    public const int MaxThresholdPercent = 1000;

    public static Budget Create(string team, EnvironmentName? environment, Money limit, IReadOnlyList<int>? thresholds = null)
    {
        var errors = new ValidationErrors();
        Check(errors, limit, thresholds);
        errors.ThrowIfAny();
        return new Budget(team, environment, limit, (thresholds ?? DefaultThresholds).Distinct().Order().ToList());
    }

    public static void Check(ValidationErrors errors, Money limit, IReadOnlyList<int>? thresholds)
    {
        if (limit.Amount <= 0m) errors.Add("monthlyLimit", "must be a positive amount.");
        if (limit.Currency != Money.Usd) errors.Add("currency", $"must be {Money.Usd}.");
        if (thresholds is null) return;
        if (thresholds.Count is 0 or > MaxThresholds) errors.Add("thresholds", $"list 1 to {MaxThresholds} percentages (default 50, 80, 100).");
        for (var i = 0; i < thresholds.Count; i++)
        {
            if (thresholds[i] is < 1 or > MaxThresholdPercent) errors.Add($"thresholds[{i}]", $"must be a whole percentage from 1 to {MaxThresholdPercent}.");
            else if (thresholds.Take(i).Contains(thresholds[i])) errors.Add($"thresholds[{i}]", $"{thresholds[i]} % is listed twice.");
        }
    }
}

/// <summary>A calendar month in UTC, the period budgets, forecasts and "once per month" are counted in.</summary>
public readonly record struct BudgetMonth(int Year, int Month)
{
    public static BudgetMonth Of(DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return new BudgetMonth(utc.Year, utc.Month);
    }

    public DateTimeOffset Start => new(Year, Month, 1, 0, 0, 0, TimeSpan.Zero);

    public DateTimeOffset End => Start.AddMonths(1);

    public int Hours => DateTime.DaysInMonth(Year, Month) * 24;

    public override string ToString() => $"{Year:D4}-{Month:D2}";
}
