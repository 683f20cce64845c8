using Portal.Core.Addons.Catalog;
using Portal.Core.Environments;
using static Portal.Core.Tests.Addons.Catalog.CatalogBuilders;

namespace Portal.Core.Tests.Addons.Catalog;

public sealed class AddonEligibilityTests
{
    private static readonly AddonEntry Metrics = Entry("metrics", Version("2.0.0", provides: ["external-metrics-adapter"]));
    private static readonly AddonEntry Agent = Entry("agent", Version("3.0.0", provides: ["external-metrics-adapter"]));
    private static readonly AddonEntry Legacy = Entry("legacy", Version("1.0.0", conflicts: ["spark"]));
    private static readonly AddonEntry Base = Entry("base", Version("1.16.2"), Version("1.18.2"));
    private static readonly AddonEntry Spark = Entry("spark",
        Version("3.0.0", Maturity.Alpha, requires: [Requires("base", ">=1.18.0")], minK8s: "1.33"),
        Version("2.0.0", Maturity.Stable, requires: [Requires("base", ">=1.16.0")], minK8s: "1.30", maxK8s: "1.33", conflicts: ["legacy"]));
    private static readonly AddonCatalog Catalog = new([Metrics, Agent, Legacy, Base, Spark]);

    private static Eligibility Check(AddonEntry entry, string version, ClusterFacts facts) =>
        AddonEligibility.Check(Catalog, entry, entry.FindVersion(version)!, facts);

    [Fact]
    public void AStableVersion_OnAnEmptySupportedCluster_IsAllowed()
    {
        Assert.True(Check(Spark, "2.0.0", Facts(EnvironmentName.Prod)).Allowed);
    }

    [Fact]
    public void AnAlphaVersion_OnStaging_IsRefused_NamingAddonVersionAndEnvironment()
    {
        var result = Check(Spark, "3.0.0", Facts(EnvironmentName.Staging));
        var reason = Assert.Single(result.Reasons);
        Assert.Equal("Spark 3.0.0 is alpha. Alpha versions may only be installed on dev clusters, and this is a staging cluster.", reason);
    }

    [Fact]
    public void AnAdminOverride_SkipsMaturityOnly_NotTheKubernetesRange()
    {
        var overridden = new HashSet<string> { "spark" };
        Assert.True(Check(Spark, "3.0.0", Facts(EnvironmentName.Prod, overridden: overridden)).Allowed);
        var tooOld = Check(Spark, "3.0.0", Facts(EnvironmentName.Prod, kubernetes: "1.32", overridden: overridden));
        Assert.Equal(["Spark 3.0.0 needs Kubernetes 1.33 or newer; the cluster runs 1.32."], tooOld.Reasons);
    }

    [Fact]
    public void AnOverrideForAnotherAddon_DoesNotApply()
    {
        Assert.False(Check(Spark, "3.0.0", Facts(EnvironmentName.Prod, overridden: new HashSet<string> { "agent" })).Allowed);
    }

    [Theory]
    [InlineData("1.29", "Spark 2.0.0 needs Kubernetes 1.30 or newer; the cluster runs 1.29.")]
    [InlineData("1.34", "Spark 2.0.0 supports Kubernetes up to 1.33; the cluster runs 1.34.")]
    public void AClusterOutsideTheKubernetesRange_IsRefused(string kubernetes, string reason)
    {
        Assert.Equal([reason], Check(Spark, "2.0.0", Facts(kubernetes: kubernetes)).Reasons);
    }

    [Fact]
    public void AnExplicitConflict_IsRefused_WhenTheNewVersionDeclaresIt()
    {
        var result = Check(Spark, "2.0.0", Facts(installed: Installed(("legacy", "1.0.0"))));
        Assert.Equal(["Spark 2.0.0 cannot share a cluster with Legacy 1.0.0, which is installed."], result.Reasons);
    }

    [Fact]
    public void AnExplicitConflict_IsRefused_WhenTheInstalledVersionDeclaresIt()
    {
        // spark 3.0.0 does not list legacy; legacy 1.0.0 lists spark.
        var result = Check(Spark, "3.0.0", Facts(installed: Installed(("legacy", "1.0.0"), ("base", "1.18.2"))));
        Assert.Equal(["Legacy 1.0.0, which is installed, cannot share a cluster with Spark."], result.Reasons);
    }

    [Fact]
    public void TwoAddonsProvidingTheSameCapability_Conflict_BothWays()
    {
        var one = Check(Agent, "3.0.0", Facts(installed: Installed(("metrics", "2.0.0"))));
        Assert.Equal(["Agent 3.0.0 and Metrics 2.0.0, which is installed, both provide the external-metrics-adapter; a cluster can have only one."], one.Reasons);
        var other = Check(Metrics, "2.0.0", Facts(installed: Installed(("agent", "3.0.0"))));
        Assert.Contains("external-metrics-adapter", Assert.Single(other.Reasons));
    }

    [Fact]
    public void TheSameAddonInstalledAtAnotherVersion_IsAnUpgrade_NotAConflict()
    {
        Assert.True(Check(Metrics, "2.0.0", Facts(installed: Installed(("metrics", "1.0.0")))).Allowed);
    }

    [Fact]
    public void ARequirementInstalledAtAVersionOutsideTheRange_IsRefused()
    {
        var result = Check(Spark, "3.0.0", Facts(installed: Installed(("base", "1.16.2"))));
        Assert.Equal(["Spark 3.0.0 needs Base >=1.18.0; the cluster has 1.16.2."], result.Reasons);
    }

    [Fact]
    public void AMissingRequirement_IsNotAnEligibilityReason()
    {
        Assert.True(Check(Spark, "3.0.0", Facts()).Allowed);
    }

    [Fact]
    public void SeveralProblems_AreAllReported()
    {
        var result = Check(Spark, "3.0.0", Facts(EnvironmentName.Prod, kubernetes: "1.32", installed: Installed(("base", "1.16.2"), ("legacy", "1.0.0"))));
        Assert.Equal(4, result.Reasons.Count);
    }
}
