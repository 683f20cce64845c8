using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations;
using Portal.Testing;

namespace Portal.Core.Tests.Addons;

/// <summary>End to end with the catalogue the portal ships (catalog/ copied beside the binaries): MLflow on a dev cluster.</summary>
public sealed class ShippedCatalogInstallTests(PostgresDatabaseFixture database, AddonCloud cloud)
    : AddonTests(database, cloud), IClassFixture<PostgresDatabaseFixture>, IClassFixture<AddonCloud>
{
    protected override AddonCatalog Catalog => AddonCatalog.Load(AddonCatalog.DefaultDirectory);

    [Fact]
    public async Task ShippedMlflow_WithAChangedValue_BecomesHealthy()
    {
        var (owner, team) = await TeamAsync();
        var cluster = await ProvisionedClusterAsync(owner, team);
        var mlflow = Get<AddonCatalog>().Find("mlflow")!;

        var view = await Addons.InstallAsync(owner, team.Slug, cluster.Name, new AddonInstallRequest("mlflow", Values: JsonObject("""{"replicaCount":2}""")), Ct);
        await ReconcileUntilAsync(view.Installation.Id, r => r?.Phase == AddonPhase.Healthy);

        Assert.Equal(mlflow.Versions.First(v => MaturityPolicy.Allows(v.Maturity, Portal.Core.Environments.EnvironmentName.Dev)).Version, view.Installation.CatalogVersion);
        using var client = await KubernetesAsync(cluster);
        var app = (await ApplicationAsync(client, "mlflow"))!;
        Assert.Equal(2, (int?)app["spec"]!["source"]!["helm"]!["valuesObject"]!["replicaCount"]);
        Assert.Equal("mlflow", (string?)app["spec"]!["source"]!["chart"]);
        Assert.Equal(mlflow.FindVersion(view.Installation.CatalogVersion)!.Namespace, (string?)app["spec"]!["destination"]!["namespace"]);
    }
}
