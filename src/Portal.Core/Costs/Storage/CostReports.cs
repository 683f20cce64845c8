using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Common;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Prices;
using Portal.Core.Persistence;
using Portal.Core.Tokens;

namespace Portal.Core.Costs.Storage;

public enum CostGranularity
{
    Hour = 0,
    Day = 1,
    Month = 2,
}

/// <summary>
/// A cost report's filters. <paramref name="From"/> defaults to the start of the current UTC month, <paramref name="To"/>
/// to now; both are widened to whole hours. <paramref name="Team"/> null: every team the caller may see.
/// </summary>
public sealed record CostQuery(
    CostGrouping GroupBy = CostGrouping.Team,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Team = null,
    CostGranularity Granularity = CostGranularity.Day);

/// <summary>One group in one period. <paramref name="Cents"/> is rounded so that all cells of a report add up to its total.</summary>
public sealed record CostCell(DateTimeOffset Period, string Key, decimal Amount, decimal Cents);

/// <summary>One group over the whole range: the sum of its cells (exact and in cents) and its idle GPU part.</summary>
public sealed record CostReportGroup(string Key, decimal Amount, decimal Cents, decimal IdleAmount, bool Estimated);

/// <summary>
/// A cost report: groups (the table), cells (the stacked chart: group × period), the total, and the price sources with
/// their dates. Every rounded figure comes from one largest-remainder rounding of the cells, so cells add up to their
/// group, groups to the total, and the CSV export (the cells) to the same total, to the cent.
/// </summary>
public sealed record CostReport(
    DateTimeOffset From,
    DateTimeOffset To,
    CostGrouping GroupBy,
    CostGranularity Granularity,
    string Currency,
    decimal TotalAmount,
    decimal TotalCents,
    decimal IdleAmount,
    IReadOnlyList<CostReportGroup> Groups,
    IReadOnlyList<CostCell> Cells,
    IReadOnlyList<PriceSource> PriceSources,
    bool Estimated,
    IReadOnlyList<string> Teams);

/// <summary>Reads stored cost lines for reports, within what the caller may see (tenancy through <see cref="TeamAccess"/>).</summary>
public sealed class CostReports(IDbContextFactory<PortalDbContext> contexts, TimeProvider clock)
{
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);
    public static readonly TimeSpan MaxHourlyRange = TimeSpan.FromDays(31);

    /// <summary>
    /// The report for <paramref name="query"/>. A named team the caller is not a member of is 404 (admins see every
    /// team); without a team a member gets the teams they belong to, an admin all teams.
    /// </summary>
    public async Task<CostReport> QueryAsync(PortalActor actor, CostQuery query, CancellationToken ct)
    {
        TeamAccess.RequireScope(actor, TokenScopes.Read);
        var (from, to) = Range(query);

        await using var db = await contexts.CreateDbContextAsync(ct);
        List<Guid>? teamIds;
        if (query.Team is { } slug) teamIds = [(await TeamAccess.RequireAsync(db, actor, slug, TeamPermission.Read, ct)).Team.Id];
        else if (actor.IsPlatformAdmin) teamIds = null;
        else teamIds = await db.Memberships.AsNoTracking().Where(m => m.UserId == actor.UserId).Select(m => m.TeamId).ToListAsync(ct);

        var fromMs = from.ToUnixTimeMilliseconds();
        var toMs = to.ToUnixTimeMilliseconds();
        var rows = db.CostLines.AsNoTracking().Where(l => l.HourUnixMs >= fromMs && l.HourUnixMs < toMs);
        if (teamIds is not null) rows = rows.Where(l => teamIds.Contains(l.TeamId));
        var lines = (await rows.OrderBy(l => l.Id).ToListAsync(ct)).Select(r => r.ToLine()).ToList();
        return Build(lines, query with { From = from, To = to });
    }

    /// <summary>The report of already-filtered lines (pure: also what tests check sums with).</summary>
    public static CostReport Build(IReadOnlyList<CostLine> lines, CostQuery query)
    {
        var from = query.From!.Value;
        var to = query.To!.Value;
        var currency = lines.Select(l => l.Amount.Currency).FirstOrDefault() ?? Money.Usd;
        var cells = lines.GroupBy(l => (Period: PeriodOf(l.Hour, query.Granularity), Key: CostRollup.KeyOf(l, query.GroupBy)))
            .OrderBy(g => g.Key.Period.UtcTicks).ThenBy(g => g.Key.Key, StringComparer.Ordinal)
            .Select(g => (g.Key.Period, g.Key.Key, Amount: Money.Sum(g.Select(l => l.Amount), currency).Amount))
            .ToList();
        var cents = CentRounding.ToCents(cells.Select(c => c.Amount).ToList());
        var costCells = cells.Select((c, i) => new CostCell(c.Period, c.Key, c.Amount, cents[i])).ToList();
        var groups = lines.GroupBy(l => CostRollup.KeyOf(l, query.GroupBy), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CostReportGroup(g.Key,
                g.Sum(l => l.Amount.Amount),
                costCells.Where(c => c.Key == g.Key).Sum(c => c.Cents),
                g.Where(l => l.Category == CostCategory.Idle).Sum(l => l.Amount.Amount),
                g.Any(l => l.Estimated)))
            .ToList();
        var sources = lines.Select(l => l.Source).Distinct().OrderBy(s => s.Name, StringComparer.Ordinal).ThenBy(s => s.AsOf).ToList();
        return new CostReport(from, to, query.GroupBy, query.Granularity, currency,
            lines.Sum(l => l.Amount.Amount), costCells.Sum(c => c.Cents),
            lines.Where(l => l.Category == CostCategory.Idle).Sum(l => l.Amount.Amount),
            groups, costCells, sources, lines.Any(l => l.Estimated),
            lines.Select(l => l.Team).Distinct().Order(StringComparer.Ordinal).ToList());
    }

    private (DateTimeOffset From, DateTimeOffset To) Range(CostQuery query)
    {
        var now = clock.GetUtcNow();
        var from = MeteringWindow.StartOfHour(query.From ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero));
        var toRaw = (query.To ?? now).ToUniversalTime();
        var to = MeteringWindow.StartOfHour(toRaw);
        if (to < toRaw) to = to.AddHours(1);
        var errors = new ValidationErrors();
        if (!Enum.IsDefined(query.GroupBy)) errors.Add("groupBy", "must be team, environment, cluster, nodePool or endpoint.");
        if (!Enum.IsDefined(query.Granularity)) errors.Add("granularity", "must be hour, day or month.");
        if (to <= from) errors.Add("to", "must be after from.");
        else if (to - from > MaxRange) errors.Add("from", $"a report covers at most {MaxRange.TotalDays} days.");
        else if (query.Granularity == CostGranularity.Hour && to - from > MaxHourlyRange)
            errors.Add("granularity", $"hourly reports cover at most {MaxHourlyRange.TotalDays} days; use day or month.");
        errors.ThrowIfAny();
        return (from, to);
    }

    public static DateTimeOffset PeriodOf(DateTimeOffset hour, CostGranularity granularity) => granularity switch
    {
        CostGranularity.Hour => hour,
        CostGranularity.Day => new DateTimeOffset(hour.Year, hour.Month, hour.Day, 0, 0, 0, TimeSpan.Zero),
        _ => new DateTimeOffset(hour.Year, hour.Month, 1, 0, 0, 0, TimeSpan.Zero),
    };
}
