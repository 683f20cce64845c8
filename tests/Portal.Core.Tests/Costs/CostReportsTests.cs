using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Clusters;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Storage;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tests.Infrastructure;
using Portal.Testing;

namespace Portal.Core.Tests.Costs;

/// <summary>
/// Reports are summed by the database (GROUP BY), not in memory: on each provider they must equal, to the last of the
/// ten stored decimals, what adding the same lines up in C# gives.
/// </summary>
public abstract class CostReportsTests(PortalDatabaseFixture database) : ServiceTests(database)
{
    // Across a month's end, so monthly reports have two periods and daily ones change month. Each test seeds its own
    // year, since the tests of a class share its database.
    private static readonly DateTimeOffset Start = new(2026, 1, 20, 0, 0, 0, TimeSpan.Zero);
    private const int Hours = 35 * 24;

    private readonly CommandLog _commands = new();

    private CostReports Reports => Get<CostReports>();

    protected override void Configure(IServiceCollection services) =>
        services.ConfigureDbContext<PortalDbContext>(b => b.AddInterceptors(_commands));

    /// <summary>
    /// Hourly lines as the meter writes them for two teams: control plane, on-demand and spot pools, an endpoint's share
    /// of a GPU pool and the idle rest (thirds, held to ten decimals), storage spread over the month's hours. A sum in
    /// floating point (SQLite's own SUM of these TEXT values) is off in the last places after a few thousand of them.
    /// </summary>
    private async Task<List<CostLineRecord>> SeedAsync(DateTimeOffset start, params Team[] teams)
    {
        var records = new List<CostLineRecord>();
        foreach (var (teamRow, index) in teams.Select((t, i) => (t, i)))
        {
            var (teamId, team) = (teamRow.Id, teamRow.Slug);
            var clusterId = Guid.NewGuid();
            for (var h = 0; h < Hours; h++)
            {
                var hour = start.AddHours(h).ToUnixTimeMilliseconds();
                var gpuPool = 1.006m + index * 0.0001m;
                var endpointShare = Math.Round(gpuPool * (1 + h % 3) / 4m / 3m, 10);
                CostLineRecord Line(string? pool, string? endpoint, CostCategory category, decimal amount, bool estimated = false) => new()
                {
                    HourUnixMs = hour, TeamId = teamId, Team = team, Environment = h % 2 == 0 ? EnvironmentName.Dev : EnvironmentName.Prod,
                    ClusterId = clusterId, Cluster = "main", NodePool = pool, Endpoint = endpoint, Category = category, Quantity = 1m,
                    Unit = "node-hours", Amount = amount, Currency = "USD", PriceSource = estimated ? "spot estimate" : "on-demand table",
                    PriceAsOf = new DateOnly(2026, 7, 6), Estimated = estimated,
                    InstanceType = pool is null ? null : "m5.large", CapacityType = pool == "spot" ? CapacityType.Spot : CapacityType.OnDemand,
                };
                records.AddRange(
                    Line(null, null, CostCategory.ControlPlane, 0.10m),
                    Line("general", null, CostCategory.Compute, 0.192m),
                    Line("spot", null, CostCategory.Compute, 0.0768m * (1 + h % 5), estimated: true),
                    Line("gpu", "bert", CostCategory.Endpoint, endpointShare),
                    Line("gpu", null, CostCategory.Idle, gpuPool - endpointShare),
                    Line("general", null, CostCategory.Storage, Math.Round(0.08m * 20m / (31m * 24m), 10)));
            }
        }
        await using var db = Database.CreateContext();
        db.CostLines.AddRange(records);
        await db.SaveChangesAsync(Ct);
        return records;
    }

    [Fact]
    public async Task Query_SumsInTheDatabase_ExactlyAsTheSameLinesAddUpInMemory_ForEveryGroupingAndGranularity()
    {
        var (_, admin) = await SignInAdminAsync();
        var first = await CreateTeamAsync(admin, "reports");
        var second = await CreateTeamAsync(admin, "reports");
        var records = await SeedAsync(Start, first, second);

        var ranges = new[]
        {
            (CostGranularity.Hour, From: Start.AddDays(10), To: Start.AddDays(13)),
            (CostGranularity.Day, From: Start, To: Start.AddDays(35)),
            (CostGranularity.Month, From: Start.AddDays(1).AddHours(5), To: Start.AddDays(30)),
        };
        foreach (var grouping in Enum.GetValues<CostGrouping>())
        foreach (var (granularity, from, to) in ranges)
        {
            var query = new CostQuery(grouping, from, to, null, granularity);
            var inRange = records.Where(r => r.Hour >= from && r.Hour < to).ToList();
            var expected = CostReports.Build(inRange.Select(r => r.ToLine()).ToList(), query);

            var report = await Reports.QueryAsync(admin, query, Ct);

            var what = $"{grouping} per {granularity}";
            // Independently of the report's own arithmetic: the total is the plain decimal sum of the stored amounts.
            Assert.True(inRange.Sum(r => r.Amount) == report.TotalAmount, $"{what}: total {report.TotalAmount}, lines add up to {inRange.Sum(r => r.Amount)}");
            Assert.Equal(inRange.Where(r => r.Category == CostCategory.Idle).Sum(r => r.Amount), report.IdleAmount);
            Assert.Equal(expected.TotalCents, report.TotalCents);
            Assert.Equal(expected.Groups, report.Groups);
            Assert.Equal(expected.Cells, report.Cells);
            Assert.Equal(expected.PriceSources, report.PriceSources);
            Assert.Equal(expected.Teams, report.Teams);
            Assert.True(report.Estimated, what);
            Assert.Equal(report.TotalCents, report.Groups.Sum(g => g.Cents));
            Assert.Equal(report.TotalCents, report.Cells.Sum(c => c.Cents));
        }
    }

    [Fact]
    public async Task Query_ReadsSumsPerPeriodAndGroup_NotTheLines()
    {
        var (_, admin) = await SignInAdminAsync();
        var team = await CreateTeamAsync(admin, "reports");
        var start = Start.AddYears(-2);
        var records = await SeedAsync(start, team);
        _commands.Clear();

        var report = await Reports.QueryAsync(admin, new CostQuery(CostGrouping.Cluster, start, start.AddDays(35), team.Slug, CostGranularity.Day), Ct);

        Assert.Equal(records.Sum(r => r.Amount), report.TotalAmount);
        var sums = _commands.Texts.Where(t => t.Contains("cost_lines", StringComparison.Ordinal) && t.Contains("GROUP BY", StringComparison.Ordinal)).ToList();
        var sql = Assert.Single(sums);
        // SQLite has no decimal type: EF's ef_sum adds the TEXT-stored amounts as .NET decimals; SUM would add doubles.
        Assert.Contains(Provider == DatabaseProvider.Sqlite ? "ef_sum(" : "sum(", sql, StringComparison.OrdinalIgnoreCase);
        // Nothing else reads the lines' amounts one by one.
        Assert.DoesNotContain(_commands.Texts, t => t.Contains("cost_lines", StringComparison.Ordinal) && !t.Contains("GROUP BY", StringComparison.Ordinal)
            && t.Contains("\"Amount\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Query_MonthlyOverAYear_HasOnePeriodPerMonth_AndKeysOfTheGrouping()
    {
        var (_, admin) = await SignInAdminAsync();
        var team = await CreateTeamAsync(admin, "reports");
        var start = Start.AddYears(-1);
        await SeedAsync(start, team);

        var report = await Reports.QueryAsync(admin, new CostQuery(CostGrouping.Endpoint, start.AddDays(-300), start.AddDays(60), team.Slug,
            CostGranularity.Month), Ct);

        Assert.Equal([new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero)],
            report.Cells.Select(c => c.Period).Distinct());
        Assert.Equal([$"{team.Slug}/main/(idle)", $"{team.Slug}/main/(not an endpoint)", $"{team.Slug}/main/bert"], report.Groups.Select(g => g.Key));
        var idle = report.Groups.Single(g => g.Key.EndsWith("(idle)", StringComparison.Ordinal));
        Assert.Equal(idle.Amount, idle.IdleAmount);
        Assert.Equal(idle.Amount, report.IdleAmount);
    }

    [Fact]
    public async Task Query_ForAMemberWithoutATeam_SumsOnlyTheirTeams()
    {
        var (_, admin) = await SignInAdminAsync();
        var (_, owner) = await SignInAsync("owner");
        var theirs = await CreateTeamAsync(owner, "reports");
        var other = await CreateTeamAsync(admin, "reports");
        var start = Start.AddYears(-3);
        var records = await SeedAsync(start, theirs, other);
        var query = new CostQuery(CostGrouping.Team, start, start.AddDays(2), null, CostGranularity.Day);

        var report = await Reports.QueryAsync(owner, query, Ct);

        Assert.Equal([theirs.Slug], report.Teams);
        Assert.Equal(records.Where(r => r.TeamId == theirs.Id && r.Hour < start.AddDays(2)).Sum(r => r.Amount), report.TotalAmount);
        await Assert.ThrowsAsync<Portal.Core.Common.NotFoundException>(() => Reports.QueryAsync(owner, query with { Team = other.Slug }, Ct));
    }
}

/// <summary>The SQL of every query the services run.</summary>
internal sealed class CommandLog : DbCommandInterceptor
{
    private readonly List<string> _texts = [];

    public IReadOnlyList<string> Texts { get { lock (_texts) return [.. _texts]; } }

    public void Clear()
    {
        lock (_texts) _texts.Clear();
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        lock (_texts) _texts.Add(command.CommandText);
        return ValueTask.FromResult(result);
    }
}

public sealed class CostReportsTestsOnPostgres(PostgresDatabaseFixture database)
    : CostReportsTests(database), IClassFixture<PostgresDatabaseFixture>;

public sealed class CostReportsTestsOnSqlite(SqliteDatabaseFixture database)
    : CostReportsTests(database), IClassFixture<SqliteDatabaseFixture>;
