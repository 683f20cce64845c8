using Portal.Api.Infrastructure;
using Portal.Core.Costs;
using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Prices;
using Portal.Core.Costs.Storage;

namespace Portal.Api.Costs;

/// <summary>An amount: exact (<c>amount</c>, up to 10 decimals, for sums) and rounded for display (<c>cents</c>, two decimals).</summary>
public sealed record AmountResponse(decimal Amount, decimal Cents, string Currency);

public sealed record PriceSourceResponse(string Name, DateOnly AsOf, string? Reference)
{
    public static PriceSourceResponse From(PriceSource s) => new(s.Name, s.AsOf, s.Reference);
}

public sealed record CostGroupResponse(string Key, AmountResponse Total, AmountResponse Idle, decimal? IdleShare, bool Estimated);

public sealed record CostCellResponse(DateTimeOffset Period, string Key, AmountResponse Total);

/// <summary>
/// <c>GET /api/v1/costs</c>: the groups (table), cells per period (chart) and total. Rounded cents add up: cells to
/// their group, groups to the total, the CSV export to the same total.
/// </summary>
public sealed record CostReportResponse(
    DateTimeOffset From,
    DateTimeOffset To,
    string GroupBy,
    CostGranularity Granularity,
    AmountResponse Total,
    AmountResponse Idle,
    IReadOnlyList<CostGroupResponse> Groups,
    IReadOnlyList<CostCellResponse> Series,
    IReadOnlyList<PriceSourceResponse> PriceSources,
    bool Estimated,
    IReadOnlyList<string> Teams)
{
    public static CostReportResponse Of(CostReport r, string groupBy)
    {
        AmountResponse A(decimal amount, decimal cents) => new(amount, cents, r.Currency);
        return new CostReportResponse(r.From, r.To, groupBy, r.Granularity,
            A(r.TotalAmount, r.TotalCents),
            A(r.IdleAmount, new Money(r.IdleAmount, r.Currency).Cents),
            r.Groups.Select(g => new CostGroupResponse(g.Key, A(g.Amount, g.Cents), A(g.IdleAmount, new Money(g.IdleAmount, r.Currency).Cents),
                g.Amount == 0m ? null : Math.Round(g.IdleAmount / g.Amount, 4), g.Estimated)).ToList(),
            r.Cells.Select(c => new CostCellResponse(c.Period, c.Key, A(c.Amount, c.Cents))).ToList(),
            r.PriceSources.Select(PriceSourceResponse.From).ToList(),
            r.Estimated,
            r.Teams);
    }
}

/// <summary><c>PUT /api/v1/teams/{team}/budget</c>: the whole budget. The secret is write-only: omit it to keep it, "" to remove it.</summary>
public sealed record PutBudgetRequest(
    decimal? MonthlyLimit = null,
    Dictionary<string, decimal>? EnvironmentLimits = null,
    List<int>? Thresholds = null,
    string? WebhookUrl = null,
    string? WebhookSecret = null,
    string? Currency = null);

public sealed record BudgetScopeResponse(
    string Scope,
    AmountResponse Limit,
    AmountResponse Spent,
    AmountResponse Forecast,
    AmountResponse HourlyRunRate,
    decimal HoursMetered,
    decimal PercentSpent,
    bool ForecastCanAlarm,
    bool ForecastOverrun,
    IReadOnlyList<int> Thresholds,
    IReadOnlyList<int> NotifiedThresholds,
    bool ForecastOverrunNotified,
    string Month);

public sealed record BudgetResponse(
    string Team,
    bool Configured,
    decimal? MonthlyLimit,
    IReadOnlyDictionary<string, decimal> EnvironmentLimits,
    string Currency,
    IReadOnlyList<int> Thresholds,
    string? WebhookUrl,
    bool WebhookSecretSet,
    IReadOnlyList<BudgetScopeResponse> Scopes,
    DateTimeOffset? MeteredThrough,
    long Version) : IVersionedResponse
{
    public static BudgetResponse From(BudgetView v)
    {
        static AmountResponse A(Money m) => new(m.Amount, m.Cents, m.Currency);
        var b = v.Budget;
        return new BudgetResponse(v.Team, b is not null, b?.MonthlyLimit, b?.EnvironmentLimits ?? new Dictionary<string, decimal>(),
            b?.Currency ?? Money.Usd, b?.ThresholdsPercent ?? [], WebhookUrls.Redact(b?.WebhookUrl), b?.WebhookSecret is not null,
            v.Scopes.Select(s => new BudgetScopeResponse(s.Scope, A(s.Budget.MonthlyLimit), A(s.Forecast.Spent), A(s.Forecast.Forecast),
                A(s.Forecast.HourlyRunRate), s.Forecast.HoursElapsed, s.PercentSpent, s.Forecast.CanAlarm,
                s.Forecast.Forecast.Amount > s.Budget.MonthlyLimit.Amount, s.Budget.ThresholdsPercent, s.NotifiedThresholds,
                s.ForecastOverrunNotified, s.Forecast.Month.ToString())).ToList(),
            v.MeteredThrough, b?.Version ?? 0);
    }
}

public sealed record PriceResponse(string Kind, string Name, string Unit, decimal Price, string Currency, PriceSourceResponse Source, bool Estimated, string? Note);

/// <summary>One region's table: every figure with the source and date it came from.</summary>
public sealed record RegionPricesResponse(
    string Region,
    PriceSourceResponse Source,
    bool Uploaded,
    DateTimeOffset? UploadedAt,
    string? UploadedBy,
    IReadOnlyList<PriceResponse> Prices)
{
    public static RegionPricesResponse From(RegionPriceTable t)
    {
        var region = new RegionPrices(t.Table);
        static PriceResponse P(string kind, string name, string unit, Price p) =>
            new(kind, name, unit, p.Amount.Amount, p.Amount.Currency, PriceSourceResponse.From(p.Source), p.Estimated, p.Note);
        var prices = new List<PriceResponse>
        {
            P("eks", "standard", "hour", region.ControlPlaneHourly(ControlPlaneSupport.Standard)),
            P("eks", "extended", "hour", region.ControlPlaneHourly(ControlPlaneSupport.Extended)),
            P("ebs", "gp3", "gb-month", region.EbsGp3PerGbMonth()),
        };
        prices.AddRange(t.Table.OnDemandHourly.Keys.Order(StringComparer.Ordinal)
            .Select(type => P("instance", type, "hour", region.OnDemandHourly(type)!)));
        return new RegionPricesResponse(t.Table.Region, PriceSourceResponse.From(t.Table.Source), t.Uploaded, t.UploadedAt, t.UploadedBy, prices);
    }
}

public sealed record PriceListResponse(IReadOnlyList<RegionPricesResponse> Regions, string SpotPricing);

/// <summary>
/// One schedule's estimated saving this month: hours asleep × nodes × (node price + root volume). <c>saving</c> is null
/// (and <c>problem</c> says why) when the pool's price is unknown; figures are never guessed.
/// </summary>
public sealed record PoolSavingResponse(
    string Cluster,
    string Pool,
    string Region,
    Clusters.ScheduleResponse Schedule,
    string InstanceType,
    Portal.Core.Clusters.CapacityType CapacityType,
    int Nodes,
    bool Asleep,
    decimal HoursAsleep,
    decimal HoursInMonth,
    AmountResponse? NodeHourly,
    AmountResponse? Saving,
    PriceSourceResponse? PriceSource,
    bool Estimated,
    string? Problem)
{
    public static PoolSavingResponse From(Portal.Core.Costs.Hibernation.PoolSaving s) => new(
        s.Cluster, s.Pool, s.Region, Clusters.ScheduleResponse.From(s.Schedule), s.InstanceType, s.CapacityType, s.Nodes, s.Asleep,
        s.HoursAsleep, s.HoursInMonth, s.NodeHourly is { } h ? Amount(h) : null, s.Saving is { } m ? Amount(m) : null,
        s.PriceSource is { } p ? PriceSourceResponse.From(p) : null, s.Estimated, s.Problem);

    internal static AmountResponse Amount(Money m) => new(m.Amount, m.Cents, m.Currency);
}

/// <summary>The team's sleeping pools and what their schedules save in <c>month</c> (a UTC month, "2026-11").</summary>
public sealed record HibernationSavingsResponse(string Team, string Month, IReadOnlyList<PoolSavingResponse> Pools, AmountResponse Total);
