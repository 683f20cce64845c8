using Portal.Core.Addons.Catalog;
using Portal.Core.Environments;
using static Portal.Core.Tests.Addons.Catalog.CatalogBuilders;

namespace Portal.Core.Tests.Addons.Catalog;

public sealed class AddonDependenciesTests
{
    // pipelines → (workflows, certs); workflows → certs: a diamond over certs.
    private static readonly AddonEntry Certs = Entry("certs", Version("1.16.2"), Version("1.18.2", Maturity.Beta), Version("1.19.0", Maturity.Alpha));
    private static readonly AddonEntry Workflows = Entry("workflows", Version("3.6.0", requires: [Requires("certs", ">=1.12.0")]));
    private static readonly AddonEntry Pipelines = Entry("pipelines",
        Version("2.16.0", requires: [Requires("workflows", ">=3.0.0"), Requires("certs", ">=1.12.0 <2.0.0")]));
    private static readonly AddonEntry Tuner = Entry("tuner", Version("0.19.0", requires: [Requires("certs", ">=1.18.0")]));
    private static readonly AddonEntry Modern = Entry("modern", Version("1.0.0", requires: [Requires("certs", ">=1.17.0")], minK8s: "1.30"));
    private static readonly AddonEntry Ghost = Entry("ghost", Version("1.0.0", requires: [Requires("certs", ">=5.0.0")]));
    private static readonly AddonEntry Exporter = Entry("exporter", Version("1.0.0", provides: ["metrics-api"]));
    private static readonly AddonEntry Dashboard = Entry("dashboard", Version("1.0.0", requires: [Requires("exporter")], provides: ["metrics-api"]));
    private static readonly AddonCatalog Catalog = new([Certs, Workflows, Pipelines, Tuner, Modern, Ghost, Exporter, Dashboard]);

    private static DependencyPlan Plan(AddonEntry entry, ClusterFacts facts) => AddonDependencies.Plan(Catalog, entry, entry.Versions[0], facts);

    private static string[] Steps(DependencyPlan plan) => [.. plan.InstallFirst.Select(s => $"{s.Entry.Id} {s.Version.Version}")];

    [Fact]
    public void MissingRequirements_AreInstalledFirst_DependenciesBeforeDependents_EachOnce()
    {
        var plan = Plan(Pipelines, Facts(EnvironmentName.Dev));
        Assert.Empty(plan.Refusals);
        Assert.True(plan.CanInstall);
        Assert.Equal(["certs 1.19.0", "workflows 3.6.0"], Steps(plan));
    }

    [Fact]
    public void TheNewestVersionEligibleOnTheCluster_IsChosen()
    {
        Assert.Equal(["certs 1.18.2", "workflows 3.6.0"], Steps(Plan(Pipelines, Facts(EnvironmentName.Staging))));
        Assert.Equal(["certs 1.16.2", "workflows 3.6.0"], Steps(Plan(Pipelines, Facts(EnvironmentName.Prod))));
    }

    [Fact]
    public void InstalledRequirements_AreNotPlannedAgain()
    {
        var plan = Plan(Pipelines, Facts(EnvironmentName.Prod, installed: Installed(("certs", "1.16.2"))));
        Assert.Equal(["workflows 3.6.0"], Steps(plan));
    }

    [Fact]
    public void WhenNoVersionInRangeIsEligible_ThePlanIsRefused_SayingWhy()
    {
        // certs >=1.18.0 exists only as beta and alpha: neither may go to prod.
        var plan = Plan(Tuner, Facts(EnvironmentName.Prod));
        Assert.Empty(plan.InstallFirst);
        var refusal = Assert.Single(plan.Refusals);
        Assert.StartsWith("Tuner 0.19.0 needs Certs >=1.18.0, and no version of it can go on this cluster:", refusal);
        Assert.Contains("Certs 1.18.2 is beta.", refusal);
        Assert.Contains("Certs 1.19.0 is alpha.", refusal);
    }

    [Fact]
    public void AnOverrideForTheRequirement_LetsItsNewerMaturityIn()
    {
        var plan = Plan(Tuner, Facts(EnvironmentName.Prod, overridden: new HashSet<string> { "certs" }));
        Assert.Equal(["certs 1.19.0"], Steps(plan));
    }

    [Fact]
    public void WhenTheCatalogueHasNoVersionInRange_ThePlanSaysSo()
    {
        var refusal = Assert.Single(Plan(Ghost, Facts()).Refusals);
        Assert.Equal("Ghost 1.0.0 needs Certs >=5.0.0, and the catalogue has no such version.", refusal);
    }

    [Fact]
    public void ADependencyThatConflictsWithTheAddonBeingInstalled_IsRefused()
    {
        var plan = Plan(Dashboard, Facts());
        Assert.Empty(plan.InstallFirst);
        Assert.Contains("both provide the metrics-api", Assert.Single(plan.Refusals));
    }

    [Fact]
    public void RequiredBy_ListsInstalledAddonsWhoseInstalledVersionRequiresIt()
    {
        var installed = Installed(("certs", "1.18.2"), ("workflows", "3.6.0"), ("tuner", "0.19.0"), ("modern", "1.0.0"));
        Assert.Equal(["modern", "tuner", "workflows"], AddonDependencies.RequiredBy(Catalog, "certs", installed));
        Assert.Empty(AddonDependencies.RequiredBy(Catalog, "tuner", installed));
    }

    [Fact]
    public void RequiredBy_IgnoresInstalledVersionsTheCatalogueNoLongerKnows()
    {
        Assert.Empty(AddonDependencies.RequiredBy(Catalog, "certs", Installed(("workflows", "0.1.0"))));
    }
}
