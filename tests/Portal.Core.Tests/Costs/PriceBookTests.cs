using System.Text.Json;
using Portal.Core.Catalog;
using Portal.Core.Common;
using Portal.Core.Costs;
using Portal.Core.Costs.Prices;

namespace Portal.Core.Tests.Costs;

public sealed class PriceBookTests
{
    private static readonly InstanceTypeCatalog Catalog = new();

    [Fact]
    public void UsEast1_OnDemandPrice_ComesFromTheCatalogue_WithItsSourceAndDate()
    {
        var prices = new PriceBook(Catalog).ForRegion("us-east-1");

        var m5 = prices.RequireOnDemandHourly("m5.large");

        Assert.Equal(Money.UsdOf(Catalog.Find("m5.large")!.OnDemandHourlyUsd!.Value), m5.Amount);
        Assert.Equal(0.096m, m5.Amount.Amount);
        Assert.Equal(PriceUnit.Hour, m5.Unit);
        Assert.Equal(new DateOnly(2026, 7, 6), m5.Source.AsOf);
        Assert.False(m5.Estimated);
    }

    [Fact]
    public void ShippedPriceDate_MatchesTheEmbeddedFilesGenerationDate()
    {
        using var stream = typeof(InstanceTypeCatalog).Assembly.GetManifestResourceStream(InstanceTypeCatalog.ResourceName)!;
        using var json = JsonDocument.Parse(stream);
        var generated = DateTimeOffset.Parse(json.RootElement.GetProperty("source").GetProperty("pricesGeneratedAt").GetString()!);

        Assert.Equal(DateOnly.FromDateTime(generated.UtcDateTime), PublishedPrices.InstanceCatalogue.AsOf);
    }

    [Fact]
    public void RegionWithoutTable_SaysSo_InsteadOfGuessing()
    {
        var book = new PriceBook(Catalog);

        Assert.False(book.TryGetRegion("eu-west-1", out _));
        var error = Assert.Throws<DomainValidationException>(() => book.ForRegion("eu-west-1"));
        Assert.StartsWith("no price table for eu-west-1", error.Errors["region"].Single());
    }

    [Fact]
    public void EksFees_AreStandardAndExtendedSupport_AndGp3IsPerGbMonth()
    {
        var prices = new PriceBook(Catalog).ForRegion("us-east-1");

        Assert.Equal(0.10m, prices.ControlPlaneHourly(ControlPlaneSupport.Standard).Amount.Amount);
        Assert.Equal(0.60m, prices.ControlPlaneHourly(ControlPlaneSupport.Extended).Amount.Amount);
        Assert.Equal(PublishedPrices.EksControlPlane, prices.ControlPlaneHourly(ControlPlaneSupport.Extended).Source);
        var gp3 = prices.EbsGp3PerGbMonth();
        Assert.Equal(0.08m, gp3.Amount.Amount);
        Assert.Equal(PriceUnit.GbMonth, gp3.Unit);
        Assert.False(gp3.Estimated);
    }

    [Fact]
    public void TypeMissingFromTheTable_IsUnknown_NotGuessed()
    {
        var prices = new PriceBook(Catalog).ForRegion("us-east-1");

        Assert.Null(prices.OnDemandHourly("x99.huge"));
        var error = Assert.Throws<DomainValidationException>(() => prices.RequireOnDemandHourly("x99.huge"));
        Assert.Contains("no on-demand price for x99.huge in the us-east-1 price table", error.Errors["instanceType"].Single());
    }

    [Fact]
    public void UploadedTable_AddsItsRegion_WithItsOwnDate_AndBorrowedFeesAreMarkedEstimated()
    {
        var upload = PriceTableParser.ParseCsv("kind,name,unit,price\ninstance,m5.large,hour,0.107\n", "eu-west-1", new DateOnly(2026, 10, 1), "AWS price list API export");
        var prices = new PriceBook(Catalog, [upload]).ForRegion("eu-west-1");

        var m5 = prices.RequireOnDemandHourly("m5.large");
        Assert.Equal(0.107m, m5.Amount.Amount);
        Assert.Equal(new PriceSource("AWS price list API export", new DateOnly(2026, 10, 1)), m5.Source);
        // The table has no EKS or EBS rows: the us-east-1 figures stand in, flagged.
        Assert.True(prices.ControlPlaneHourly(ControlPlaneSupport.Standard).Estimated);
        Assert.True(prices.EbsGp3PerGbMonth().Estimated);
        Assert.Null(prices.OnDemandHourly("c5.large"));
    }

    [Fact]
    public void UploadedTable_ForUsEast1_ReplacesTheShippedOne()
    {
        var upload = PriceTableParser.ParseCsv("kind,name,unit,price\ninstance,m5.large,hour,0.1\neks,standard,hour,0.1\neks,extended,hour,0.6\nebs,gp3,gb-month,0.08\n",
            "us-east-1", new DateOnly(2026, 11, 1), "Negotiated rates");
        var prices = new PriceBook(Catalog, [upload]).ForRegion("us-east-1");

        Assert.Equal(0.1m, prices.RequireOnDemandHourly("m5.large").Amount.Amount);
        Assert.Equal("Negotiated rates", prices.EbsGp3PerGbMonth().Source.Name);
        Assert.Null(prices.OnDemandHourly("c5.large"));
    }

    [Fact]
    public void Money_RoundsOnlyForDisplay_AndRefusesToMixCurrencies()
    {
        var a = Money.UsdOf(0.0049m);
        var sum = a + a + a;

        Assert.Equal(0.0147m, sum.Amount);
        Assert.Equal("0.01 USD", sum.ToDisplayString());
        Assert.Equal(0.01m, Money.UsdOf(0.005m).Cents);
        Assert.Throws<InvalidOperationException>(() => Money.UsdOf(1m) + new Money(1m, "EUR"));
    }

    [Fact]
    public void CentRounding_PartsAddUpToTheRoundedTotal()
    {
        // Three thirds of a dollar: naive rounding shows 0.33 × 3 = 0.99 next to a total of 1.00.
        var parts = new[] { 1m / 3, 1m / 3, 1m / 3 };

        var cents = CentRounding.ToCents(parts);

        Assert.Equal(1.00m, cents.Sum());
        Assert.Equal([0.34m, 0.33m, 0.33m], cents);
    }
}
