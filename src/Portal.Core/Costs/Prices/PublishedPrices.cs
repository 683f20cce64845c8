using Portal.Core.Catalog;

namespace Portal.Core.Costs.Prices;

/// <summary>
/// The prices the portal ships with, each with its source. Checked by hand against the sources named here; an
/// admin-uploaded table for a region replaces them for that region.
/// </summary>
public static class PublishedPrices
{
    public const string Region = InstanceTypeCatalog.PriceRegion;

    /// <summary>
    /// On-demand prices of the embedded instance-type catalogue: Karpenter's generated table (AWS Pricing API, Linux,
    /// shared tenancy, on-demand), "generated at 2026-07-06T14:20:29Z" (the file's <c>source.pricesGeneratedAt</c>; a
    /// test keeps this date in step with the embedded file).
    /// </summary>
    public static readonly PriceSource InstanceCatalogue = new(
        "AWS Pricing API via aws/karpenter-provider-aws v1.14.1 zz_generated.pricing_aws.go",
        new DateOnly(2026, 7, 6),
        "https://github.com/aws/karpenter-provider-aws/blob/v1.14.1/pkg/providers/pricing/zz_generated.pricing_aws.go");

    /// <summary>
    /// EKS: $0.10 per cluster-hour in standard support, $0.60 in extended support (the $0.10 plus $0.50), effective
    /// with the April 2024 billing cycle (AWS Containers blog, "Amazon EKS extended support for Kubernetes versions pricing").
    /// </summary>
    public static readonly PriceSource EksControlPlane = new(
        "AWS Containers blog: Amazon EKS extended support for Kubernetes versions pricing",
        new DateOnly(2024, 4, 1),
        "https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/");

    public const decimal EksStandardHourly = 0.10m;
    public const decimal EksExtendedHourly = 0.60m;

    /// <summary>EBS gp3 storage, us-east-1: $0.08 per GB-month (IOPS and throughput above the free baseline are extra and not metered).</summary>
    public static readonly PriceSource EbsGp3 = new(
        "Amazon EBS pricing, us-east-1 (gp3 $0.08/GB-month vs gp2 $0.10), as quoted by aws/agent-toolkit-for-aws, early 2026",
        new DateOnly(2026, 1, 1),
        "https://aws.amazon.com/ebs/pricing/");

    public const decimal EbsGp3PerGbMonth = 0.08m;

    /// <summary>The us-east-1 table: catalogue prices (types without a price are left out, not guessed), EKS and EBS.</summary>
    public static PriceTable UsEast1(InstanceTypeCatalog catalog) => new(
        Region,
        InstanceCatalogue,
        catalog.All.Where(t => t.OnDemandHourlyUsd is not null).ToDictionary(t => t.Name, t => t.OnDemandHourlyUsd!.Value, StringComparer.Ordinal),
        EksStandardHourly,
        EksExtendedHourly,
        EbsGp3PerGbMonth,
        Money.Usd,
        EksControlPlane,
        EbsGp3);
}
