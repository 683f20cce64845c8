using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Common;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Prices;
using Portal.Core.Environments;
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

/// <summary>
/// One aggregate of a report's lines: the exact sum of the lines of one period bucket (an hour, or a day for daily and
/// monthly reports) that share the columns the grouping needs, whether they are idle GPU capacity, and whether they are
/// estimated. What the database returns instead of the lines themselves.
/// </summary>
public sealed record CostBucket(
    long PeriodUnixMs,
    string Team,
    EnvironmentName? Environment,
    string? Cluster,
    string? NodePool,
    string? Endpoint,
    bool Idle,
    bool Estimated,
    string Currency,
    decimal Amount);

/// <summary>Reads stored cost lines for reports, within what the caller may see (tenancy through <see cref="TeamAccess"/>).</summary>
/// <remarks>
/// The database sums the lines (GROUP BY period bucket and the grouping's columns), so a year of hourly lines never
/// crosses the wire: PostgreSQL sums <c>numeric</c> exactly, and EF Core's SQLite provider sums the TEXT-stored decimals
/// with its own <c>ef_sum</c> aggregate, in .NET decimals, so cents stay exact on both. Months are not a fixed number
/// of milliseconds, so monthly reports are aggregated per day in SQL and the days are added up here.
/// </remarks>
public sealed class CostReports(IDbContextFactory<PortalDbContext> contexts, TimeProvider clock)
{
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);
    public static readonly TimeSpan MaxHourlyRange = TimeSpan.FromDays(31);

    /// <summary>
    /// At most this many aggregates per report (a cell is one or a few of them): a year per day for 100 clusters fits,
    /// a month per hour over every node pool of a large platform does not, and asks for a coarser granularity instead
    /// of building a response no chart can draw.
    /// </summary>
    public const int MaxBuckets = 100_000;

    private const long HourMs = 3_600_000;
    private const long DayMs = 24 * HourMs;

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

        // Ordered only so that the limit is well defined (EF warns about a limit without an order).
        var buckets = await Aggregate(rows, query.GroupBy, query.Granularity == CostGranularity.Hour ? HourMs : DayMs)
            .Take(MaxBuckets + 1).ToListAsync(ct);
        if (buckets.Count > MaxBuckets)
            throw new DomainValidationException("granularity",
                $"this report has more than {MaxBuckets:N0} figures; choose a coarser granularity, a shorter range or one team.");
        var sources = (await rows.Select(l => new { l.PriceSource, l.PriceAsOf }).Distinct().ToListAsync(ct))
            .Select(s => new PriceSource(s.PriceSource, s.PriceAsOf)).ToList();
        return Assemble(buckets, sources, query with { From = from, To = to });
    }

    /// <summary>The end of the last metered hour (what reports can show so far), or null before the first metering run.</summary>
    public async Task<DateTimeOffset?> MeteredThroughAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var mark = await db.MeteringWatermarks.AsNoTracking().FirstOrDefaultAsync(w => w.Name == MeteringWatermark.Hourly, ct);
        return mark is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(mark.LastMeteredHourUnixMs).AddHours(1);
    }

    /// <summary>The report of already-filtered lines, summed in memory the way the database sums them (what tests check sums with).</summary>
    public static CostReport Build(IReadOnlyList<CostLine> lines, CostQuery query) =>
        Assemble(
            lines.Select(l => new CostBucket(l.Hour.ToUnixTimeMilliseconds(), l.Team, l.Environment, l.Cluster, l.NodePool, l.Endpoint,
                l.Category == CostCategory.Idle, l.Estimated, l.Amount.Currency, l.Amount.Amount)).ToList(),
            lines.Select(l => l.Source).Distinct().ToList(),
            query);

    /// <summary>
    /// Sums in SQL, per period bucket, over only the columns the grouping's key is made of (the rest would only split the
    /// sums): team, environment, cluster, node pool or endpoint, plus idle and estimated for the table's extra columns.
    /// </summary>
    private static IQueryable<CostBucket> Aggregate(IQueryable<CostLineRecord> rows, CostGrouping by, long bucketMs) => by switch
    {
        CostGrouping.Team => rows
            .GroupBy(l => new { Period = l.HourUnixMs - l.HourUnixMs % bucketMs, l.Team, Idle = l.Category == CostCategory.Idle, l.Estimated, l.Currency })
            .OrderBy(g => g.Key.Period)
            .Select(g => new CostBucket(g.Key.Period, g.Key.Team, null, null, null, null, g.Key.Idle, g.Key.Estimated, g.Key.Currency,
                g.Sum(l => l.Amount))),
        CostGrouping.Environment => rows
            .GroupBy(l => new { Period = l.HourUnixMs - l.HourUnixMs % bucketMs, l.Team, l.Environment, Idle = l.Category == CostCategory.Idle, l.Estimated, l.Currency })
            .OrderBy(g => g.Key.Period)
            .Select(g => new CostBucket(g.Key.Period, g.Key.Team, g.Key.Environment, null, null, null, g.Key.Idle, g.Key.Estimated, g.Key.Currency,
                g.Sum(l => l.Amount))),
        CostGrouping.Cluster => rows
            .GroupBy(l => new { Period = l.HourUnixMs - l.HourUnixMs % bucketMs, l.Team, l.Environment, l.Cluster, Idle = l.Category == CostCategory.Idle, l.Estimated, l.Currency })
            .OrderBy(g => g.Key.Period)
            .Select(g => new CostBucket(g.Key.Period, g.Key.Team, g.Key.Environment, g.Key.Cluster, null, null, g.Key.Idle, g.Key.Estimated, g.Key.Currency,
                g.Sum(l => l.Amount))),
        CostGrouping.NodePool => rows
            .GroupBy(l => new { Period = l.HourUnixMs - l.HourUnixMs % bucketMs, l.Team, l.Environment, l.Cluster, l.NodePool, Idle = l.Category == CostCategory.Idle, l.Estimated, l.Currency })
            .OrderBy(g => g.Key.Period)
            .Select(g => new CostBucket(g.Key.Period, g.Key.Team, g.Key.Environment, g.Key.Cluster, g.Key.NodePool, null, g.Key.Idle, g.Key.Estimated,
                g.Key.Currency, g.Sum(l => l.Amount))),
        _ => rows
            .GroupBy(l => new { Period = l.HourUnixMs - l.HourUnixMs % bucketMs, l.Team, l.Cluster, l.Endpoint, Idle = l.Category == CostCategory.Idle, l.Estimated, l.Currency })
            .OrderBy(g => g.Key.Period)
            .Select(g => new CostBucket(g.Key.Period, g.Key.Team, null, g.Key.Cluster, null, g.Key.Endpoint, g.Key.Idle, g.Key.Estimated, g.Key.Currency,
                g.Sum(l => l.Amount))),
    };

    /// <summary>Cells, groups and totals from the aggregates, with one largest-remainder rounding of the cells.</summary>
    private static CostReport Assemble(IReadOnlyList<CostBucket> buckets, IReadOnlyList<PriceSource> sources, CostQuery query)
    {
        var from = query.From!.Value;
        var to = query.To!.Value;
        var currency = buckets.Select(b => b.Currency).Distinct().Order(StringComparer.Ordinal).ToList() switch
        {
            [] => Money.Usd,
            [var only] => only,
            var several => throw new InvalidOperationException($"Cost lines in {string.Join(" and ", several)}: the portal does not convert currencies."),
        };
        var keyed = buckets.Select(b => (
                Period: PeriodOf(DateTimeOffset.FromUnixTimeMilliseconds(b.PeriodUnixMs), query.Granularity),
                Key: CostRollup.KeyOf(query.GroupBy, b.Team, b.Environment, b.Cluster, b.NodePool, b.Endpoint, b.Idle),
                Bucket: b))
            .ToList();
        var cells = keyed.GroupBy(k => (k.Period, k.Key))
            .OrderBy(g => g.Key.Period.UtcTicks).ThenBy(g => g.Key.Key, StringComparer.Ordinal)
            .Select(g => (g.Key.Period, g.Key.Key, Amount: g.Sum(k => k.Bucket.Amount)))
            .ToList();
        var cents = CentRounding.ToCents(cells.Select(c => c.Amount).ToList());
        var costCells = cells.Select((c, i) => new CostCell(c.Period, c.Key, c.Amount, cents[i])).ToList();
        var centsByKey = costCells.GroupBy(c => c.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Cents), StringComparer.Ordinal);
        var groups = keyed.GroupBy(k => k.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CostReportGroup(g.Key,
                g.Sum(k => k.Bucket.Amount),
                centsByKey[g.Key],
                g.Where(k => k.Bucket.Idle).Sum(k => k.Bucket.Amount),
                g.Any(k => k.Bucket.Estimated)))
            .ToList();
        return new CostReport(from, to, query.GroupBy, query.Granularity, currency,
            buckets.Sum(b => b.Amount), costCells.Sum(c => c.Cents),
            buckets.Where(b => b.Idle).Sum(b => b.Amount),
            groups, costCells,
            sources.Distinct().OrderBy(s => s.Name, StringComparer.Ordinal).ThenBy(s => s.AsOf).ToList(),
            buckets.Any(b => b.Estimated),
            buckets.Select(b => b.Team).Distinct().Order(StringComparer.Ordinal).ToList());
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
