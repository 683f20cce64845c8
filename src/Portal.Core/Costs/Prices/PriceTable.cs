namespace Portal.Core.Costs.Prices;

/// <summary>How the EKS control plane is billed: by whether its Kubernetes version is still in standard support.</summary>
public enum ControlPlaneSupport
{
    Standard = 0,
    Extended = 1,
}

/// <summary>
/// The prices of one region from one source: on-demand instance prices and, when the source has them, the EKS
/// control-plane fees and the EBS gp3 storage price. Immutable; an upload replaces a region's table as a whole.
/// </summary>
public sealed record PriceTable(
    string Region,
    PriceSource Source,
    IReadOnlyDictionary<string, decimal> OnDemandHourly,
    decimal? ControlPlaneStandardHourly = null,
    decimal? ControlPlaneExtendedHourly = null,
    decimal? EbsGp3PerGbMonth = null,
    string Currency = Money.Usd,
    // The shipped table combines three sources; an uploaded table leaves these null and uses Source for everything.
    PriceSource? ControlPlaneSource = null,
    PriceSource? StorageSource = null);
