namespace Portal.Core.Costs.Budgets;

/// <summary>
/// The month's spend projected from its run rate. With S spent over the H metered hours since the month began and
/// M hours in the month: rate = S / H, forecast = S + rate × (M − H) = S × M / H. Linear on purpose: it is what a
/// reader can check by hand, and hibernation's day/night rhythm averages out once a few days are metered.
/// </summary>
public sealed record BudgetForecast(BudgetMonth Month, Money Spent, decimal HoursElapsed, Money HourlyRunRate, Money Forecast)
{
    /// <summary>
    /// Below this many metered hours a forecast is shown but never alarms: one busy first hour times 720 would
    /// "overrun" every budget on the first of the month.
    /// </summary>
    public const int MinimumHoursToAlarm = 24;

    public bool CanAlarm => HoursElapsed >= MinimumHoursToAlarm;

    /// <param name="meteredThrough">The end of the last metered hour (a whole hour; later within the month than its start).</param>
    public static BudgetForecast ForMonth(Money spent, DateTimeOffset meteredThrough)
    {
        // The end of the month's last hour belongs to that month, not to the next.
        var month = BudgetMonth.Of(meteredThrough.AddTicks(-1));
        var elapsed = (decimal)(meteredThrough - month.Start).TotalHours;
        if (elapsed <= 0m) return new BudgetForecast(month, spent, 0m, Money.Zero(spent.Currency), spent);
        var rate = spent / elapsed;
        var remaining = month.Hours - elapsed;
        return new BudgetForecast(month, spent, elapsed, rate, spent + rate * remaining);
    }
}
