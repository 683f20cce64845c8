using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Common;
using Portal.Core.Costs.Storage;
using Portal.Core.Environments;
using Portal.Core.Events;
using Portal.Core.Persistence;

namespace Portal.Core.Costs.Budgets;

/// <summary>A budget change (PUT: the whole budget). At least one of the team-wide or per-environment limits.</summary>
public sealed record BudgetChange(
    decimal? MonthlyLimit,
    IReadOnlyDictionary<string, decimal>? EnvironmentLimits,
    IReadOnlyList<int>? Thresholds,
    string? WebhookUrl,
    string? WebhookSecret,
    string Currency = Money.Usd);

/// <summary>One budget scope this month: spent, forecast and what was already notified.</summary>
public sealed record BudgetScopeStatus(
    string Scope,
    Budget Budget,
    BudgetForecast Forecast,
    IReadOnlyList<int> NotifiedThresholds,
    bool ForecastOverrunNotified)
{
    public decimal PercentSpent => Budget.MonthlyLimit.Amount == 0m ? 0m : Math.Round(Forecast.Spent.Amount * 100m / Budget.MonthlyLimit.Amount, 1);
}

/// <summary>A team's budget (null when none is set) with its status per scope for the current month.</summary>
public sealed record BudgetView(string Team, TeamBudget? Budget, IReadOnlyList<BudgetScopeStatus> Scopes, DateTimeOffset? MeteredThrough);

/// <summary>
/// Team budgets: reading and writing them (owners and maintainers write, members read) and the evaluation after each
/// metering run. A crossing is recorded together with its alert state, its event and its outbox row
/// (<see cref="BudgetNotification"/>) in one transaction; delivery then sends outbox rows with the crossing's stable
/// idempotency key, so a crash anywhere neither loses a notification nor sends one under two keys.
/// </summary>
public sealed class BudgetService(
    IDbContextFactory<PortalDbContext> contexts,
    BudgetWebhook webhook,
    TimeProvider clock,
    ILogger<BudgetService> logger)
{
    public const string AllScope = "all";
    public const string EventResource = "budget";

    /// <summary>A notification is given up after this many delivery runs (each with its own retries).</summary>
    public const int MaxDeliveryRuns = 5;

    public async Task<BudgetView> GetAsync(PortalActor actor, string teamSlug, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Read, ct);
        var budget = await db.TeamBudgets.AsNoTracking().FirstOrDefaultAsync(b => b.TeamId == grant.Team.Id, ct);
        return await ViewAsync(db, teamSlug, grant.Team.Id, budget, ct);
    }

    /// <summary>Sets the team's budget (maintainers and owners), audited. Honours <paramref name="expectedVersion"/> (If-Match).</summary>
    public async Task<BudgetView> PutAsync(PortalActor actor, string teamSlug, BudgetChange change, long? expectedVersion, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (change.MonthlyLimit is null && (change.EnvironmentLimits is null || change.EnvironmentLimits.Count == 0))
            errors.Add("monthlyLimit", "set a monthly limit for the team, for some environments, or both.");
        if (change.MonthlyLimit is { } limit) Budget.Check(errors, new Money(limit, change.Currency), change.Thresholds);
        else Budget.Check(errors, Money.UsdOf(1m) with { Currency = change.Currency }, change.Thresholds);
        foreach (var (env, amount) in change.EnvironmentLimits ?? new Dictionary<string, decimal>())
        {
            if (!Enum.TryParse<EnvironmentName>(env, ignoreCase: true, out var e) || !Enum.IsDefined(e))
                errors.Add($"environmentLimits.{env}", "must be dev, staging or prod.");
            else if (amount <= 0m) errors.Add($"environmentLimits.{env}", "must be a positive amount.");
        }
        if (change.WebhookUrl is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || url.Length > 2048))
            errors.Add("webhookUrl", "must be an absolute http(s) URL of at most 2048 characters.");
        errors.CheckText("webhookSecret", change.WebhookSecret, 256);
        errors.ThrowIfAny();

        await using var db = await contexts.CreateDbContextAsync(ct);
        var grant = await TeamAccess.RequireAsync(db, actor, teamSlug, TeamPermission.Write, ct);
        var budget = await db.TeamBudgets.FirstOrDefaultAsync(b => b.TeamId == grant.Team.Id, ct);
        var before = budget is null ? null : Snapshot(budget);
        if (budget is null)
        {
            if (expectedVersion is not null) throw new PreconditionFailedException("The budget", null);
            budget = new TeamBudget { TeamId = grant.Team.Id, Currency = change.Currency };
            db.TeamBudgets.Add(budget);
        }
        else budget.RequireVersion("The budget", expectedVersion);
        var now = clock.GetUtcNow();
        budget.MonthlyLimit = change.MonthlyLimit;
        budget.EnvironmentLimits = (change.EnvironmentLimits ?? new Dictionary<string, decimal>())
            .ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value);
        budget.Currency = change.Currency;
        budget.ThresholdsPercent = (change.Thresholds ?? Budget.DefaultThresholds).Distinct().Order().ToList();
        budget.WebhookUrl = string.IsNullOrWhiteSpace(change.WebhookUrl) ? null : WebhookUrls.Resolve(change.WebhookUrl, budget.WebhookUrl);
        // An omitted secret keeps the stored one (it is never read back); an empty string removes it.
        if (change.WebhookSecret is not null) budget.WebhookSecret = change.WebhookSecret.Length == 0 ? null : change.WebhookSecret;
        budget.UpdatedAt = now;
        AuditLog.Record(db, actor, now, before is null ? "budget.create" : "budget.update", "budget", teamSlug, grant.Team.Id, before, Snapshot(budget));
        await db.SaveOrConflictAsync("The budget", ct);
        return await ViewAsync(db, teamSlug, grant.Team.Id, budget, ct);
    }

    /// <summary>
    /// Evaluates every team's budgets for the month of the last metered hour; new crossings become events and outbox
    /// rows, stored with the alert state in one transaction per team. Returns the number of new crossings.
    /// </summary>
    public async Task<int> EvaluateAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var through = await MeteredThroughAsync(db, ct);
        if (through is null) return 0;
        var budgetIds = await db.TeamBudgets.AsNoTracking().Select(b => b.Id).ToListAsync(ct);
        var crossings = 0;
        foreach (var id in budgetIds) crossings += await EvaluateOneAsync(id, through.Value, ct);
        return crossings;
    }

    private async Task<int> EvaluateOneAsync(Guid budgetId, DateTimeOffset through, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var budget = await db.TeamBudgets.AsNoTracking().FirstOrDefaultAsync(b => b.Id == budgetId, ct);
        if (budget is null) return 0;
        var team = await db.Teams.AsNoTracking().Where(t => t.Id == budget.TeamId).Select(t => t.Slug).FirstAsync(ct);
        var scopes = await StatusAsync(db, team, budget, through, ct);
        var now = clock.GetUtcNow();
        var count = 0;
        foreach (var scope in scopes)
        {
            var month = scope.Forecast.Month.ToString();
            var record = await db.BudgetAlerts.FirstOrDefaultAsync(a => a.TeamId == budget.TeamId && a.Scope == scope.Scope && a.Month == month, ct);
            var stored = record is null ? null
                : new BudgetAlertState(scope.Forecast.Month, record.NotifiedThresholds.ToHashSet(), record.ForecastOverrunNotified);
            var evaluation = BudgetEvaluator.Evaluate(scope.Budget, scope.Forecast, stored);
            if (evaluation.NewCrossings.Count == 0) continue;
            if (record is null)
            {
                record = new BudgetAlertRecord { TeamId = budget.TeamId, Scope = scope.Scope, Month = month };
                db.BudgetAlerts.Add(record);
            }
            record.NotifiedThresholds = evaluation.State.NotifiedThresholds.Order().ToList();
            record.ForecastOverrunNotified = evaluation.State.ForecastOverrunNotified;
            record.UpdatedAt = now;
            foreach (var crossing in evaluation.NewCrossings)
            {
                var payload = BudgetWebhookPayload.For(scope.Budget, crossing, now);
                var what = crossing.Kind == BudgetCrossingKind.Threshold
                    ? $"{crossing.ThresholdPercent} % of the {month} budget reached"
                    : $"the {month} forecast exceeds the budget";
                EventLog.Record(db, now, budget.TeamId, EventResource, budget.Id, payload.Type, EventOutcome.Info,
                    $"{(scope.Scope == AllScope ? "Team" : scope.Scope)}: {what}: spent {crossing.Spent.ToDisplayString()}, forecast "
                    + $"{crossing.Forecast.ToDisplayString()} of {crossing.Limit.ToDisplayString()}.");
                db.BudgetNotifications.Add(new BudgetNotification
                {
                    Id = payload.Id,
                    TeamId = budget.TeamId,
                    PayloadJson = JsonSerializer.Serialize(payload, BudgetWebhook.Json),
                    CreatedAt = now,
                    Done = budget.WebhookUrl is null,
                    LastError = budget.WebhookUrl is null ? "no webhook configured" : null,
                });
                count++;
            }
        }
        if (count > 0)
        {
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (SaveChangesExtensions.IsUniqueViolation(e))
            {
                // Another worker evaluated the same crossings first and recorded them; nothing is lost or doubled.
                return 0;
            }
        }
        return count;
    }

    /// <summary>
    /// Sends the outbox: every pending notification to its team's webhook (retried within the call by
    /// <see cref="BudgetWebhook"/>, and again on later runs up to <see cref="MaxDeliveryRuns"/>), always with the same
    /// idempotency key and body. Returns how many were delivered.
    /// </summary>
    public async Task<int> DeliverPendingAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var pending = await db.BudgetNotifications.Where(n => !n.Done).OrderBy(n => n.Id).Take(100).ToListAsync(ct);
        var budgets = await db.TeamBudgets.AsNoTracking().ToDictionaryAsync(b => b.TeamId, ct);
        var delivered = 0;
        foreach (var notification in pending)
        {
            if (!budgets.TryGetValue(notification.TeamId, out var budget) || budget.WebhookUrl is null)
            {
                notification.Done = true;
                notification.LastError = "no webhook configured";
                continue;
            }
            var payload = JsonSerializer.Deserialize<BudgetWebhookPayload>(notification.PayloadJson, BudgetWebhook.Json)!;
            var result = await webhook.SendAsync(new Uri(budget.WebhookUrl), payload, budget.WebhookSecret, ct);
            notification.Attempts++;
            if (result.Delivered)
            {
                notification.Done = true;
                notification.DeliveredAt = clock.GetUtcNow();
                notification.LastError = null;
                delivered++;
            }
            else
            {
                notification.LastError = result.LastError;
                // A final refusal (4xx other than 408/429) will not change by retrying; otherwise try again next run.
                var final = result.LastStatusCode is { } s && s is >= 400 and < 500 and not 408 and not 429;
                if (final || notification.Attempts >= MaxDeliveryRuns)
                {
                    notification.Done = true;
                    logger.LogWarning("Budget notification {Id} abandoned: {Error}", notification.Id, result.LastError);
                }
            }
            // Saved after each delivery: a crash later re-sends only undelivered ones (with their same key).
            await db.SaveChangesAsync(ct);
        }
        await db.SaveChangesAsync(ct);
        return delivered;
    }

    private async Task<BudgetView> ViewAsync(PortalDbContext db, string team, Guid teamId, TeamBudget? budget, CancellationToken ct)
    {
        var through = await MeteredThroughAsync(db, ct);
        if (budget is null) return new BudgetView(team, null, [], through);
        // Before anything is metered, the month so far is empty.
        var asOf = through ?? Metering.MeteringWindow.StartOfHour(clock.GetUtcNow());
        return new BudgetView(team, budget, await StatusAsync(db, team, budget, asOf, ct), through);
    }

    /// <summary>Spend of the month containing the last metered hour, per budget scope, with forecast and notification state.</summary>
    private static async Task<IReadOnlyList<BudgetScopeStatus>> StatusAsync(PortalDbContext db, string team, TeamBudget budget, DateTimeOffset through,
        CancellationToken ct)
    {
        // As BudgetForecast counts it: the end of a month's last hour belongs to that month.
        var month = BudgetMonth.Of(through.AddTicks(-1));
        var from = month.Start.ToUnixTimeMilliseconds();
        var to = through.ToUnixTimeMilliseconds();
        // Summed in C#: decimal sums are not portable SQL (SQLite).
        var lines = await db.CostLines.AsNoTracking()
            .Where(l => l.TeamId == budget.TeamId && l.HourUnixMs >= from && l.HourUnixMs < to)
            .Select(l => new { l.Environment, l.Amount })
            .ToListAsync(ct);
        var alerts = await db.BudgetAlerts.AsNoTracking().Where(a => a.TeamId == budget.TeamId && a.Month == month.ToString()).ToListAsync(ct);
        var result = new List<BudgetScopeStatus>();
        void Add(string scope, EnvironmentName? environment, decimal limit)
        {
            var domain = new Budget(team, environment, new Money(limit, budget.Currency), budget.ThresholdsPercent);
            var spent = new Money(lines.Where(l => environment is null || l.Environment == environment).Sum(l => l.Amount), budget.Currency);
            var forecast = BudgetForecast.ForMonth(spent, through);
            var alert = alerts.FirstOrDefault(a => a.Scope == scope);
            result.Add(new BudgetScopeStatus(scope, domain, forecast, alert?.NotifiedThresholds ?? [], alert?.ForecastOverrunNotified ?? false));
        }
        if (budget.MonthlyLimit is { } all) Add(AllScope, null, all);
        foreach (var (env, limit) in budget.EnvironmentLimits.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (Enum.TryParse<EnvironmentName>(env, ignoreCase: true, out var e)) Add(env, e, limit);
        }
        return result;
    }

    /// <summary>The end of the last metered hour, or null before the first metering run.</summary>
    private static async Task<DateTimeOffset?> MeteredThroughAsync(PortalDbContext db, CancellationToken ct)
    {
        var mark = await db.MeteringWatermarks.AsNoTracking().FirstOrDefaultAsync(w => w.Name == MeteringWatermark.Hourly, ct);
        return mark is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(mark.LastMeteredHourUnixMs).AddHours(1);
    }

    private static object Snapshot(TeamBudget b) => new
    {
        b.MonthlyLimit, b.EnvironmentLimits, b.Currency, thresholds = b.ThresholdsPercent, webhookUrl = WebhookUrls.Redact(b.WebhookUrl),
        // Redacted by AuditLog by name; recorded only as "set or not".
        secret = b.WebhookSecret is null ? null : "set",
    };
}
