using System.Globalization;
using Amazon;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Core.Cloud.Aws;

namespace Portal.Core.Costs.Prices;

/// <summary>A spot price as the cloud reported it.</summary>
public sealed record SpotQuote(string InstanceType, string Region, decimal HourlyUsd, DateTimeOffset ObservedAt, int AvailabilityZones);

/// <summary>The seam for the market price of spot capacity: EC2's spot price history in production and tests against moto.</summary>
public interface ISpotPriceSource
{
    /// <summary>
    /// The Linux/UNIX spot price in effect at <paramref name="at"/>, averaged over the region's availability zones
    /// (a node group spreads over them); null when the cloud has no history for the type.
    /// </summary>
    Task<SpotQuote?> GetSpotPriceAsync(AwsSession session, string instanceType, DateTimeOffset at, CancellationToken ct = default);
}

/// <summary>EC2 <c>DescribeSpotPriceHistory</c> through AWSSDK.EC2, with the team environment's session.</summary>
public sealed class Ec2SpotPriceSource(IOptions<CostOptions> options) : ISpotPriceSource
{
    public const string LinuxVpc = "Linux/UNIX (Amazon VPC)";

    public async Task<SpotQuote?> GetSpotPriceAsync(AwsSession session, string instanceType, DateTimeOffset at, CancellationToken ct = default)
    {
        var config = new AmazonEC2Config { MaxErrorRetry = 2, Timeout = options.Value.SpotLookupTimeout };
        if (options.Value.Ec2Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = session.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(session.Region);
        }
        using var client = new AmazonEC2Client(session.ToAwsCredentials(), config);
        // Start = end = the instant: EC2 then returns, per zone, the price that was in effect at that moment.
        var request = new DescribeSpotPriceHistoryRequest
        {
            InstanceTypes = [instanceType],
            ProductDescriptions = [LinuxVpc],
            StartTime = at.UtcDateTime,
            EndTime = at.UtcDateTime,
        };
        var prices = new List<SpotPrice>();
        do
        {
            var response = await client.DescribeSpotPriceHistoryAsync(request, ct);
            prices.AddRange(response.SpotPriceHistory ?? []);
            request.NextToken = response.NextToken;
        } while (!string.IsNullOrEmpty(request.NextToken));

        // The latest record per zone at or before the instant; several zones are averaged.
        var perZone = prices
            .Where(p => p.InstanceType?.Value == instanceType && decimal.TryParse(p.Price, NumberStyles.Number, CultureInfo.InvariantCulture, out _))
            .GroupBy(p => p.AvailabilityZone ?? "")
            .Select(g => g.OrderByDescending(p => p.Timestamp ?? DateTime.MinValue).First())
            .ToList();
        if (perZone.Count == 0) return null;
        var average = perZone.Average(p => decimal.Parse(p.Price, NumberStyles.Number, CultureInfo.InvariantCulture));
        return new SpotQuote(instanceType, session.Region, average, at, perZone.Count);
    }
}

/// <summary>
/// The spot price used for metering: the market price where the session may read it, otherwise on-demand × (1 −
/// <see cref="CostOptions.SpotEstimateDiscount"/>) marked estimated. A failing lookup never stops metering.
/// </summary>
public sealed class SpotPricing(ISpotPriceSource source, IOptions<CostOptions> options, ILogger<SpotPricing> logger)
{
    public async Task<Price?> HourlyAsync(RegionPrices prices, string instanceType, AwsSession? session, DateTimeOffset at, CancellationToken ct = default)
    {
        if (session is not null)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.Value.SpotLookupTimeout);
                if (await source.GetSpotPriceAsync(session, instanceType, at, timeout.Token) is { } quote)
                    return new Price(Money.UsdOf(quote.HourlyUsd), PriceUnit.Hour,
                        new PriceSource($"EC2 spot price history, {quote.Region}, mean of {quote.AvailabilityZones} zone(s)", DateOnly.FromDateTime(at.UtcDateTime)));
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException
                                          || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // Commonly UnauthorizedOperation: the environment's role lacks ec2:DescribeSpotPriceHistory.
                logger.LogWarning(e, "Spot price of {InstanceType} in {Region} unavailable; using the configured discount", instanceType, prices.Region);
            }
        }
        return EstimateFromOnDemand(prices, instanceType, options.Value.SpotEstimateDiscount);
    }

    /// <summary>On-demand × (1 − discount), marked estimated; null when on-demand itself is unknown.</summary>
    public static Price? EstimateFromOnDemand(RegionPrices prices, string instanceType, decimal discount) =>
        prices.OnDemandHourly(instanceType) is { } onDemand
            ? onDemand with
            {
                Amount = onDemand.Amount * (1m - discount),
                Estimated = true,
                Note = $"spot estimated as on-demand less {discount:P0} (no spot price history)",
            }
            : null;
}
