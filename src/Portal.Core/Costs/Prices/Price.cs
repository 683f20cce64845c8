namespace Portal.Core.Costs.Prices;

/// <summary>What a price is per.</summary>
public enum PriceUnit
{
    /// <summary>Per instance-hour or per cluster-hour.</summary>
    Hour = 0,
    /// <summary>Per GB (GiB, as AWS bills EBS) of provisioned storage per month, prorated by the hour.</summary>
    GbMonth = 1,
}

/// <summary>
/// Where a price table came from and how old it is. Every figure computed from a table carries this, so the UI can
/// show "prices as of 2026-07-06 (…)" next to it.
/// </summary>
public sealed record PriceSource(string Name, DateOnly AsOf, string? Reference = null)
{
    public override string ToString() => $"{Name}, as of {AsOf:yyyy-MM-dd}";
}

/// <summary>
/// One price. <paramref name="Estimated"/> is true when the figure is not a published price for exactly this region
/// and item (a spot price derived from a configured discount, a fee borrowed from us-east-1).
/// </summary>
public sealed record Price(Money Amount, PriceUnit Unit, PriceSource Source, bool Estimated = false, string? Note = null);
