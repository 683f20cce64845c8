using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Costs;

/// <summary>Section <c>Costs</c>: where spot prices come from and how metering catches up.</summary>
public sealed class CostOptions
{
    public const string SectionName = "Costs";

    /// <summary>Base URL of the EC2 API for spot price history (moto or another emulator in tests). Null: the regional endpoint.</summary>
    [Url]
    public string? Ec2Endpoint { get; set; }

    /// <summary>
    /// When the spot price history cannot be read (no permission, no endpoint), spot is estimated as on-demand × (1 −
    /// this) and the figure is marked estimated. 0.6 is a deliberately cautious guess, not a published number.
    /// </summary>
    [Range(0.0, 0.95)]
    public decimal SpotEstimateDiscount { get; set; } = 0.6m;

    /// <summary>Timeout of one spot price lookup; after it the estimate is used rather than stalling metering.</summary>
    public TimeSpan SpotLookupTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Metering catches up at most this many hours after downtime (older hours are not known any more).</summary>
    [Range(1, 24 * 62)]
    public int MaxCatchUpHours { get; set; } = 24 * 7;

    /// <summary>How often the metering job runs; it meters whole hours that ended, so more often than hourly only shortens the delay.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MeteringInterval { get; set; } = TimeSpan.FromHours(1);
}
