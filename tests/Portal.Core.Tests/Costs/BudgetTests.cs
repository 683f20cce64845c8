using Portal.Core.Common;
using Portal.Core.Costs;
using Portal.Core.Costs.Budgets;
using Portal.Core.Environments;

namespace Portal.Core.Tests.Costs;

public sealed class BudgetTests
{
    private static readonly Budget Ml = Budget.Create("ml", null, Money.UsdOf(1000m));
    private static readonly BudgetMonth November = new(2026, 11);

    // The end of the last metered hour: November has 720 hours.
    private static DateTimeOffset After(int hours) => November.Start.AddHours(hours);

    private static BudgetForecast Forecast(decimal spent, int hours) => BudgetForecast.ForMonth(Money.UsdOf(spent), After(hours));

    [Fact]
    public void Forecast_IsTheRunRateCarriedToTheEndOfTheMonth()
    {
        // 240 USD in the first 10 days (240 h): 1 USD/h, × 720 h = 720 USD.
        var forecast = Forecast(240m, 240);

        Assert.Equal(November, forecast.Month);
        Assert.Equal(240m, forecast.HoursElapsed);
        Assert.Equal(1m, forecast.HourlyRunRate.Amount);
        Assert.Equal(720m, forecast.Forecast.Amount);
        Assert.True(forecast.CanAlarm);
    }

    [Fact]
    public void Forecast_AtTheLastHour_IsTheSpend_AndTheMonthsEndBelongsToTheMonth()
    {
        var forecast = BudgetForecast.ForMonth(Money.UsdOf(999m), November.End);

        Assert.Equal(November, forecast.Month);
        Assert.Equal(999m, forecast.Forecast.Amount);
    }

    [Fact]
    public void Thresholds_FireOncePerMonth_EvenWhenSpendDipsAndRisesAgain()
    {
        var first = BudgetEvaluator.Evaluate(Ml, Forecast(510m, 400), null);
        var again = BudgetEvaluator.Evaluate(Ml, Forecast(520m, 401), first.State);
        var dipped = BudgetEvaluator.Evaluate(Ml, Forecast(490m, 402), again.State);
        var risen = BudgetEvaluator.Evaluate(Ml, Forecast(530m, 403), dipped.State);

        Assert.Equal([50], first.NewCrossings.Where(c => c.Kind == BudgetCrossingKind.Threshold).Select(c => c.ThresholdPercent!.Value));
        Assert.DoesNotContain(again.NewCrossings, c => c.Kind == BudgetCrossingKind.Threshold);
        Assert.DoesNotContain(dipped.NewCrossings, c => c.Kind == BudgetCrossingKind.Threshold);
        Assert.DoesNotContain(risen.NewCrossings, c => c.Kind == BudgetCrossingKind.Threshold);
    }

    [Fact]
    public void SeveralThresholdsPassedAtOnce_EachFire_InOrder_AndExactlyAtTheLimitCounts()
    {
        var evaluation = BudgetEvaluator.Evaluate(Ml, Forecast(1000m, 700), null);

        Assert.Equal([50, 80, 100], evaluation.NewCrossings.Where(c => c.Kind == BudgetCrossingKind.Threshold).Select(c => c.ThresholdPercent!.Value));
        Assert.Equal(new HashSet<int> { 50, 80, 100 }, evaluation.State.NotifiedThresholds);
        Assert.Empty(BudgetEvaluator.Evaluate(Ml, Forecast(1000m, 700), evaluation.State).NewCrossings);
    }

    [Fact]
    public void ForecastOverrun_FiresOncePerMonth_AndNotOnAThinFirstDay()
    {
        // 100 USD in the first 12 hours would forecast 6000 USD: too early to alarm.
        var early = BudgetEvaluator.Evaluate(Ml, Forecast(100m, 12), null);
        var day2 = BudgetEvaluator.Evaluate(Ml, Forecast(100m, 48), early.State);   // 1500 forecast
        var day3 = BudgetEvaluator.Evaluate(Ml, Forecast(150m, 72), day2.State);    // still over

        Assert.Empty(early.NewCrossings);
        var overrun = Assert.Single(day2.NewCrossings);
        Assert.Equal(BudgetCrossingKind.ForecastOverrun, overrun.Kind);
        Assert.Null(overrun.ThresholdPercent);
        Assert.Equal(1500m, overrun.Forecast.Amount);
        Assert.Empty(day3.NewCrossings);
    }

    [Fact]
    public void ANewMonth_StartsWithNothingNotified()
    {
        var november = BudgetEvaluator.Evaluate(Ml, Forecast(900m, 600), null);
        var december = BudgetEvaluator.Evaluate(Ml, BudgetForecast.ForMonth(Money.UsdOf(600m), new DateTimeOffset(2026, 12, 20, 0, 0, 0, TimeSpan.Zero)), november.State);

        Assert.Equal(new BudgetMonth(2026, 12), december.State.Month);
        Assert.Equal([50], december.NewCrossings.Where(c => c.Kind == BudgetCrossingKind.Threshold).Select(c => c.ThresholdPercent!.Value));
    }

    [Fact]
    public void IdempotencyKey_NamesBudgetMonthAndCrossing()
    {
        var prod = Budget.Create("ml", EnvironmentName.Prod, Money.UsdOf(200m), [90]);
        var crossings = BudgetEvaluator.Evaluate(prod, Forecast(190m, 360), null).NewCrossings;

        Assert.Equal(["budget:ml:prod:2026-11:threshold-90", "budget:ml:prod:2026-11:forecast-overrun"], crossings.Select(c => c.IdempotencyKey(prod)));
        Assert.Equal("budget:ml:all:2026-11:threshold-50", BudgetEvaluator.Evaluate(Ml, Forecast(500m, 360), null).NewCrossings[0].IdempotencyKey(Ml));
    }

    [Fact]
    public void Budget_Validation_NamesTheFields()
    {
        var error = Assert.Throws<DomainValidationException>(() => Budget.Create("ml", null, Money.UsdOf(0m), [50, 0, 50, 2000]));

        Assert.True(error.Errors.ContainsKey("monthlyLimit"));
        Assert.True(error.Errors.ContainsKey("thresholds[1]"));
        Assert.Contains("listed twice", error.Errors["thresholds[2]"].Single());
        Assert.True(error.Errors.ContainsKey("thresholds[3]"));
        Assert.Equal([50, 80, 100], Ml.ThresholdsPercent);
    }
}
