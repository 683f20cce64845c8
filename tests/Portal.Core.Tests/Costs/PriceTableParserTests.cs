using Portal.Core.Common;
using Portal.Core.Costs.Prices;

namespace Portal.Core.Tests.Costs;

public sealed class PriceTableParserTests
{
    private static readonly DateOnly AsOf = new(2026, 10, 1);

    [Fact]
    public void Csv_WithCommentsBlankLinesAndCrlf_IsRead()
    {
        const string csv = "# eu-west-1, from the price list API\r\nkind,name,unit,price\r\n\r\ninstance,m5.large,hour,0.107\r\ninstance,g5.xlarge,hour,1.123\r\neks,standard,hour,0.10\r\neks,extended,hour,0.60\r\nebs,gp3,gb-month,0.088\r\n";

        var table = PriceTableParser.ParseCsv(csv, "eu-west-1", AsOf, "price list API");

        Assert.Equal("eu-west-1", table.Region);
        Assert.Equal(AsOf, table.Source.AsOf);
        Assert.Equal(0.107m, table.OnDemandHourly["m5.large"]);
        Assert.Equal(1.123m, table.OnDemandHourly["g5.xlarge"]);
        Assert.Equal(0.10m, table.ControlPlaneStandardHourly);
        Assert.Equal(0.60m, table.ControlPlaneExtendedHourly);
        Assert.Equal(0.088m, table.EbsGp3PerGbMonth);
    }

    [Fact]
    public void Csv_BadRows_NameTheirLineAndField_AllAtOnce()
    {
        const string csv = "kind,name,unit,price\ninstance,m5.large,hour,0.107\ninstance,m5.large,hour,0.2\nmachine,m5.large,hour,1\ninstance,M5 Large,hour,1\nebs,gp3,hour,0.08\ninstance,c5.large,hour,$0.09\ninstance,c5.xlarge,hour\n";

        var error = Assert.Throws<DomainValidationException>(() => PriceTableParser.ParseCsv(csv, "eu-west-1", AsOf, "test"));

        Assert.Contains("line 3: instance m5.large is listed twice (first at line 2).", error.Errors["lines[3].name"]);
        Assert.Contains("kind", error.Errors["lines[4].kind"].Single());
        Assert.Contains("'M5 Large' is not an EC2 instance type name", error.Errors["lines[5].name"].Single());
        Assert.Contains("ebs prices are per gb-month, not 'hour'", error.Errors["lines[6].unit"].Single());
        Assert.StartsWith("line 7: '$0.09' is not a price", error.Errors["lines[7].price"].Single());
        Assert.StartsWith("line 8: expected 4 comma-separated values", error.Errors["lines[8]"].Single());
    }

    [Fact]
    public void Csv_WrongHeaderRegionCurrencyOrEmpty_IsRefused()
    {
        var header = Assert.Throws<DomainValidationException>(() => PriceTableParser.ParseCsv("type,price\ninstance,m5.large,hour,1\n", "eu-west-1", AsOf, "t"));
        Assert.True(header.Errors.ContainsKey("lines[1]"));

        var meta = Assert.Throws<DomainValidationException>(() => PriceTableParser.ParseCsv("kind,name,unit,price\ninstance,m5.large,hour,1\n", "Europe", AsOf, " ", "EUR"));
        Assert.True(meta.Errors.ContainsKey("region"));
        Assert.True(meta.Errors.ContainsKey("source"));
        Assert.True(meta.Errors.ContainsKey("currency"));

        var empty = Assert.Throws<DomainValidationException>(() => PriceTableParser.ParseCsv("", "eu-west-1", AsOf, "t"));
        Assert.True(empty.Errors.ContainsKey("lines"));

        var noInstances = Assert.Throws<DomainValidationException>(() => PriceTableParser.ParseCsv("kind,name,unit,price\neks,standard,hour,0.1\n", "eu-west-1", AsOf, "t"));
        Assert.Equal("the table lists no instance prices.", noInstances.Errors["prices"].Single());
    }

    [Fact]
    public void Csv_ZeroNegativeOrHugePrices_AreRefused()
    {
        var error = Assert.Throws<DomainValidationException>(() =>
            PriceTableParser.ParseCsv("kind,name,unit,price\ninstance,a1.large,hour,0\ninstance,a1.xlarge,hour,-1\ninstance,a1.2xlarge,hour,100000\n", "eu-west-1", AsOf, "t"));

        Assert.Equal(["lines[2].price", "lines[3].price", "lines[4].price"], error.Errors.Keys.Order());
    }

    [Fact]
    public void Json_IsRead_WithItsOwnRegionDateAndSource()
    {
        const string json = """
            {"region":"eu-west-1","asOf":"2026-10-01","source":"price list API","currency":"USD",
             "prices":[{"kind":"instance","name":"m5.large","unit":"hour","price":0.107},
                       {"kind":"ebs","name":"gp3","unit":"gb-month","price":0.088}]}
            """;

        var table = PriceTableParser.ParseJson(json);

        Assert.Equal("eu-west-1", table.Region);
        Assert.Equal(new PriceSource("price list API", AsOf), table.Source);
        Assert.Equal(0.107m, table.OnDemandHourly["m5.large"]);
        Assert.Equal(0.088m, table.EbsGp3PerGbMonth);
        Assert.Null(table.ControlPlaneStandardHourly);
    }

    [Fact]
    public void Json_BadEntries_NameTheirIndexAndField()
    {
        const string json = """
            {"region":"eu-west-1","asOf":"01/10/2026","source":"x",
             "prices":[{"kind":"instance","name":"m5.large","unit":"hour","price":"0.107"},
                       {"kind":"eks","name":"premium","unit":"hour","price":0.1},
                       42]}
            """;

        var error = Assert.Throws<DomainValidationException>(() => PriceTableParser.ParseJson(json));

        Assert.True(error.Errors.ContainsKey("asOf"));
        Assert.StartsWith("prices[0]: '\"0.107\"' is not a price", error.Errors["prices[0].price"].Single());
        Assert.Contains("not an EKS support tier", error.Errors["prices[1].name"].Single());
        Assert.True(error.Errors.ContainsKey("prices[2]"));
    }

    [Fact]
    public void Json_Malformed_IsAValidationError_NotACrash()
    {
        var error = Assert.Throws<DomainValidationException>(() => PriceTableParser.ParseJson("{\"region\": "));
        Assert.StartsWith("not valid JSON", error.Errors["$"].Single());
    }
}
