using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Prices;
using Portal.Core.Environments;

namespace Portal.Core.Costs.Storage;

/// <summary>
/// One stored <see cref="CostLine"/>: a priced fact of one metered hour. The team slug and cluster name are copied in
/// so a deleted cluster's past costs still read by name. Hours are Unix milliseconds, not DateTimeOffset: range
/// queries compare them in SQL, which SQLite cannot do on DateTimeOffset columns.
/// </summary>
public sealed class CostLineRecord
{
    public long Id { get; set; }
    public long HourUnixMs { get; set; }
    public Guid TeamId { get; set; }
    public required string Team { get; set; }
    public EnvironmentName Environment { get; set; }
    public Guid ClusterId { get; set; }
    public required string Cluster { get; set; }
    public string? NodePool { get; set; }
    public string? Endpoint { get; set; }
    public CostCategory Category { get; set; }
    public string? InstanceType { get; set; }
    public CapacityType? CapacityType { get; set; }
    public decimal Quantity { get; set; }
    public required string Unit { get; set; }

    /// <summary>Exact, at most <see cref="Money.LineScale"/> decimal places; never rounded in storage.</summary>
    public decimal Amount { get; set; }

    public required string Currency { get; set; }
    public required string PriceSource { get; set; }
    public DateOnly PriceAsOf { get; set; }
    public bool Estimated { get; set; }

    public DateTimeOffset Hour => DateTimeOffset.FromUnixTimeMilliseconds(HourUnixMs);

    public static CostLineRecord From(CostLine line, Guid teamId) => new()
    {
        HourUnixMs = line.Hour.ToUnixTimeMilliseconds(),
        TeamId = teamId,
        Team = line.Team,
        Environment = line.Environment,
        ClusterId = line.ClusterId,
        Cluster = line.Cluster,
        NodePool = line.NodePool,
        Endpoint = line.Endpoint,
        Category = line.Category,
        InstanceType = line.InstanceType,
        CapacityType = line.CapacityType,
        Quantity = line.Quantity,
        Unit = line.Unit,
        Amount = line.Amount.Amount,
        Currency = line.Amount.Currency,
        PriceSource = line.Source.Name,
        PriceAsOf = line.Source.AsOf,
        Estimated = line.Estimated,
    };

    public CostLine ToLine() => new(Hour, Team, Environment, ClusterId, Cluster, NodePool, Endpoint, Category, InstanceType, CapacityType,
        Quantity, Unit, new Money(Amount, Currency), new PriceSource(PriceSource, PriceAsOf), Estimated);
}

/// <summary>An admin-uploaded price table for one region: the file as sent and the parsed table. An upload replaces the region's row.</summary>
public sealed class PriceTableUpload
{
    public const int MaxRawLength = 2 * 1024 * 1024;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Region { get; set; }
    public DateOnly AsOf { get; set; }
    public required string Source { get; set; }
    public required string Currency { get; set; }

    /// <summary>"csv" or "json".</summary>
    public required string Format { get; set; }

    public required string Raw { get; set; }

    /// <summary>The parsed table as JSON (a serialized <see cref="PriceTable"/>), so the price book never re-parses uploads.</summary>
    public required string ParsedJson { get; set; }

    public DateTimeOffset UploadedAt { get; set; }
    public required string UploadedBy { get; set; }
}

/// <summary>
/// A team's monthly budget: a limit for the whole team and/or limits per environment, the thresholds (percent) that
/// notify once per month, and an optional webhook. One row per team.
/// </summary>
public sealed class TeamBudget : IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TeamId { get; set; }

    /// <summary>The whole team's limit; null when only environments have limits.</summary>
    public decimal? MonthlyLimit { get; set; }

    public Dictionary<string, decimal> EnvironmentLimits { get; set; } = [];
    public required string Currency { get; set; }
    public List<int> ThresholdsPercent { get; set; } = [];
    public string? WebhookUrl { get; set; }

    /// <summary>HMAC key of the webhook signature; never returned by the API, redacted in the audit log.</summary>
    public string? WebhookSecret { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

/// <summary>
/// What was already notified for one budget scope ("all" or an environment) of a team in one month. Written in the
/// same transaction as the notifications it caused, so a crash can never notify twice under different keys.
/// </summary>
public sealed class BudgetAlertRecord
{
    public Guid TeamId { get; set; }

    /// <summary>"all" for the team-wide budget, else the environment (dev, staging, prod).</summary>
    public required string Scope { get; set; }

    /// <summary>"yyyy-MM" (UTC).</summary>
    public required string Month { get; set; }

    public List<int> NotifiedThresholds { get; set; } = [];
    public bool ForecastOverrunNotified { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// An outbox row: a budget notification decided (and recorded with its alert state) but maybe not yet delivered. The
/// id is the crossing's idempotency key, so every attempt, in any process, sends the same key.
/// </summary>
public sealed class BudgetNotification
{
    public required string Id { get; set; }
    public Guid TeamId { get; set; }
    public required string PayloadJson { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>True once delivered, given up on (a final refusal or all retries of several runs), or when no webhook is set.</summary>
    public bool Done { get; set; }

    public int Attempts { get; set; }
    public string? LastError { get; set; }
}

/// <summary>How far hourly metering got: the start of the last metered hour (Unix ms). One row, named.</summary>
public sealed class MeteringWatermark
{
    public const string Hourly = "hourly";

    public required string Name { get; set; }
    public long LastMeteredHourUnixMs { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
