using Portal.Core.Catalog;
using Portal.Core.Common;

namespace Portal.Core.Costs.Prices;

/// <summary>
/// The price tables by region: the shipped us-east-1 table plus any admin-uploaded ones (an upload replaces the
/// region's table). A region without a table has no prices: callers get "no price table for eu-west-1", never a
/// figure borrowed from another region.
/// </summary>
public sealed class PriceBook
{
    private readonly Dictionary<string, PriceTable> _tables = new(StringComparer.Ordinal);

    public PriceBook(InstanceTypeCatalog catalog, IEnumerable<PriceTable>? uploaded = null)
    {
        var shipped = PublishedPrices.UsEast1(catalog);
        _tables[shipped.Region] = shipped;
        foreach (var table in uploaded ?? []) _tables[table.Region] = table;
    }

    public IReadOnlyCollection<string> Regions => _tables.Keys;

    public IReadOnlyCollection<PriceTable> Tables => _tables.Values;

    public bool TryGetRegion(string region, out RegionPrices prices)
    {
        prices = _tables.TryGetValue(region, out var table) ? new RegionPrices(table) : null!;
        return prices is not null;
    }

    /// <exception cref="DomainValidationException">No table for the region (field <c>region</c>).</exception>
    public RegionPrices ForRegion(string region) =>
        TryGetRegion(region, out var prices) ? prices : throw new DomainValidationException("region", MissingTable(region));

    public static string MissingTable(string region) =>
        $"no price table for {region}: upload one (CSV or JSON, see docs/costs.md) before costs can be computed there";
}

/// <summary>The prices of one region, each carrying its source and date.</summary>
public sealed class RegionPrices(PriceTable table)
{
    public string Region => table.Region;

    public PriceTable Table => table;

    public string Currency => table.Currency;

    /// <summary>The on-demand hourly price, or null when the region's table does not list the type.</summary>
    public Price? OnDemandHourly(string instanceType) =>
        table.OnDemandHourly.TryGetValue(instanceType, out var amount)
            ? new Price(new Money(amount, table.Currency), PriceUnit.Hour, table.Source)
            : null;

    /// <exception cref="DomainValidationException">The table has no price for the type (field <c>instanceType</c>).</exception>
    public Price RequireOnDemandHourly(string instanceType) =>
        OnDemandHourly(instanceType) ?? throw new DomainValidationException("instanceType",
            $"no on-demand price for {instanceType} in the {Region} price table ({table.Source})");

    /// <summary>
    /// The EKS fee. A table without EKS fees uses the published us-east-1 ones, marked <see cref="Price.Estimated"/>
    /// outside us-east-1 (other regions were not verified).
    /// </summary>
    public Price ControlPlaneHourly(ControlPlaneSupport support)
    {
        var own = support == ControlPlaneSupport.Extended ? table.ControlPlaneExtendedHourly : table.ControlPlaneStandardHourly;
        if (own is { } amount) return new Price(new Money(amount, table.Currency), PriceUnit.Hour, table.ControlPlaneSource ?? table.Source);
        var published = support == ControlPlaneSupport.Extended ? PublishedPrices.EksExtendedHourly : PublishedPrices.EksStandardHourly;
        return new Price(Money.UsdOf(published), PriceUnit.Hour, PublishedPrices.EksControlPlane, Estimated: Region != PublishedPrices.Region,
            Note: $"the {Region} table has no EKS fee; the published us-east-1 fee is used");
    }

    /// <summary>EBS gp3 per GB-month; a table without it uses us-east-1's, marked <see cref="Price.Estimated"/>.</summary>
    public Price EbsGp3PerGbMonth() =>
        table.EbsGp3PerGbMonth is { } amount
            ? new Price(new Money(amount, table.Currency), PriceUnit.GbMonth, table.StorageSource ?? table.Source)
            : new Price(Money.UsdOf(PublishedPrices.EbsGp3PerGbMonth), PriceUnit.GbMonth, PublishedPrices.EbsGp3, Estimated: Region != PublishedPrices.Region,
                Note: $"the {Region} table has no EBS gp3 price; the us-east-1 price is used");
}
