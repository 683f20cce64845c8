namespace Portal.Core.Costs.Budgets;

public enum BudgetCrossingKind
{
    /// <summary>Actual spend reached a threshold.</summary>
    Threshold = 0,
    /// <summary>The forecast for the month is above the budget.</summary>
    ForecastOverrun = 1,
}

/// <summary>A notification to send: a threshold reached (with its percent) or a forecast overrun (percent is null).</summary>
public sealed record BudgetCrossing(BudgetCrossingKind Kind, int? ThresholdPercent, BudgetMonth Month, Money Spent, Money Forecast, Money Limit)
{
    /// <summary>
    /// Stable per budget, month and crossing: the webhook's idempotency key and the event's de-duplication key, so a
    /// retried job or a re-sent request is recognisable as the same notification.
    /// </summary>
    public string IdempotencyKey(Budget budget) =>
        $"budget:{budget.Team}:{budget.Environment?.ToString().ToLowerInvariant() ?? "all"}:{Month}:"
        + (Kind == BudgetCrossingKind.Threshold ? $"threshold-{ThresholdPercent}" : "forecast-overrun");
}

/// <summary>What was already notified in a month. Kept by the caller (a row per budget) and passed back in.</summary>
public sealed record BudgetAlertState(BudgetMonth Month, IReadOnlySet<int> NotifiedThresholds, bool ForecastOverrunNotified)
{
    public static BudgetAlertState Empty(BudgetMonth month) => new(month, new HashSet<int>(), false);
}

public sealed record BudgetEvaluation(IReadOnlyList<BudgetCrossing> NewCrossings, BudgetAlertState State);

/// <summary>
/// Decides which budget notifications are new. Pure: spend, forecast and what was already sent in, the new crossings
/// and the state to store out. Each threshold fires at most once per month, even when spend later drops below it and
/// rises again (a re-metered hour can lower it); several thresholds passed at once each fire; the forecast overrun
/// fires once per month and only once the forecast has enough hours behind it. A state from an earlier month counts
/// as empty.
/// </summary>
public static class BudgetEvaluator
{
    public static BudgetEvaluation Evaluate(Budget budget, BudgetForecast forecast, BudgetAlertState? notified)
    {
        var month = forecast.Month;
        var state = notified is not null && notified.Month == month ? notified : BudgetAlertState.Empty(month);
        var limit = budget.MonthlyLimit;
        var spent = forecast.Spent;
        var crossings = new List<BudgetCrossing>();
        var thresholds = new HashSet<int>(state.NotifiedThresholds);

        foreach (var percent in budget.ThresholdsPercent.Order())
        {
            // spent / limit >= percent / 100, without dividing.
            if (thresholds.Contains(percent) || spent.Amount * 100m < limit.Amount * percent) continue;
            thresholds.Add(percent);
            crossings.Add(new BudgetCrossing(BudgetCrossingKind.Threshold, percent, month, spent, forecast.Forecast, limit));
        }

        var overrun = state.ForecastOverrunNotified;
        if (!overrun && forecast.CanAlarm && forecast.Forecast.Amount > limit.Amount)
        {
            overrun = true;
            crossings.Add(new BudgetCrossing(BudgetCrossingKind.ForecastOverrun, null, month, spent, forecast.Forecast, limit));
        }
        return new BudgetEvaluation(crossings, new BudgetAlertState(month, thresholds, overrun));
    }
}
