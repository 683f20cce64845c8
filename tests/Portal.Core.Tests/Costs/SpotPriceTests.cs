using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Core.Catalog;
using Portal.Core.Cloud.Aws;
using Portal.Core.Costs;
using Portal.Core.Costs.Prices;
using Portal.Core.Tests.Cloud.Support;
using Portal.Testing;

namespace Portal.Core.Tests.Costs;

/// <summary>Spot prices through AWSSDK.EC2: against moto (an AWS emulator nobody here wrote), and the fallback when EC2 refuses or is away.</summary>
public sealed class SpotPriceTests(Moto moto) : IClassFixture<Moto>
{
    private static readonly DateTimeOffset Hour = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly RegionPrices UsEast1 = new PriceBook(new InstanceTypeCatalog()).ForRegion("us-east-1");

    // moto accepts any key; EC2 itself would need ec2:DescribeSpotPriceHistory on the environment's role.
    private static AwsSession Session(string region = "us-east-1") =>
        new("123456789012", region, new ImmutableCredentials("AKIAMOTOPORTAL000000", "moto-secret", null), Hour.AddHours(1));

    private static IOptions<CostOptions> Options(Uri endpoint) => Microsoft.Extensions.Options.Options.Create(new CostOptions
    {
        Ec2Endpoint = endpoint.ToString(),
        SpotLookupTimeout = TimeSpan.FromSeconds(20),
    });

    [MotoFact]
    public async Task Ec2Source_ReadsSpotPriceHistory_AveragedOverTheZones()
    {
        var source = new Ec2SpotPriceSource(Options(moto.BaseAddress));

        var quote = await source.GetSpotPriceAsync(Session(), "m5.large", Hour);

        Assert.NotNull(quote);
        Assert.Equal("m5.large", quote.InstanceType);
        Assert.Equal("us-east-1", quote.Region);
        // moto answers a fixed 0.00001 in every zone that offers the type.
        Assert.Equal(0.00001m, quote.HourlyUsd);
        Assert.True(quote.AvailabilityZones >= 2, $"zones: {quote.AvailabilityZones}");
    }

    [MotoFact]
    public async Task SpotPricing_UsesTheMarketPrice_WhenEc2Answers()
    {
        var pricing = new SpotPricing(new Ec2SpotPriceSource(Options(moto.BaseAddress)), Options(moto.BaseAddress), NullLogger<SpotPricing>.Instance);

        var price = await pricing.HourlyAsync(UsEast1, "m5.large", Session(), Hour);

        Assert.NotNull(price);
        Assert.False(price.Estimated);
        Assert.Equal(0.00001m, price.Amount.Amount);
        Assert.StartsWith("EC2 spot price history, us-east-1", price.Source.Name);
        Assert.Equal(new DateOnly(2026, 11, 24), price.Source.AsOf);
    }

    [MotoFact]
    public async Task Ec2Source_TypeWithoutHistory_IsNull()
    {
        var source = new Ec2SpotPriceSource(Options(moto.BaseAddress));

        Assert.Null(await source.GetSpotPriceAsync(Session(), "x99.huge", Hour));
    }

    [Fact]
    public async Task SpotPricing_RoleWithoutPermission_FallsBackToTheDiscount_MarkedEstimated()
    {
        // What EC2 answers a role lacking ec2:DescribeSpotPriceHistory.
        await using var ec2 = await LocalReceiver.StartAsync(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/xml";
            await context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>UnauthorizedOperation</Code>"
                + "<Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>r-1</RequestID></Response>");
        });
        var options = Options(ec2.BaseAddress);
        var pricing = new SpotPricing(new Ec2SpotPriceSource(options), options, NullLogger<SpotPricing>.Instance);

        var price = await pricing.HourlyAsync(UsEast1, "m5.large", Session(), Hour);

        Assert.NotNull(price);
        Assert.True(price.Estimated);
        Assert.Equal(0.096m * 0.4m, price.Amount.Amount);
        Assert.Equal(PublishedPrices.InstanceCatalogue, price.Source);
        Assert.Contains("spot estimated as on-demand less", price.Note);
    }

    [Fact]
    public async Task SpotPricing_Ec2Unreachable_OrNoSession_FallsBackToTheDiscount()
    {
        int closedPort;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var options = Microsoft.Extensions.Options.Options.Create(new CostOptions
        {
            Ec2Endpoint = $"http://127.0.0.1:{closedPort}/",
            SpotEstimateDiscount = 0.7m,
            SpotLookupTimeout = TimeSpan.FromSeconds(5),
        });
        var pricing = new SpotPricing(new Ec2SpotPriceSource(options), options, NullLogger<SpotPricing>.Instance);

        var unreachable = await pricing.HourlyAsync(UsEast1, "g5.xlarge", Session(), Hour);
        var noSession = await pricing.HourlyAsync(UsEast1, "g5.xlarge", null, Hour);

        var onDemand = UsEast1.RequireOnDemandHourly("g5.xlarge").Amount.Amount;
        Assert.True(unreachable!.Estimated);
        Assert.Equal(onDemand * 0.3m, unreachable.Amount.Amount);
        Assert.Equal(unreachable, noSession);
        // No on-demand price either: nothing to estimate from, and no guess.
        Assert.Null(await pricing.HourlyAsync(UsEast1, "x99.huge", null, Hour));
    }
}
