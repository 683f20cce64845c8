using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Clusters;
using Portal.Core.Common;
using Portal.Core.Environments;
using Portal.Web.Components.Pages.Catalog;
using Portal.Web.Components.Shared.Catalog;
using Portal.Web.Tests.Components.Clusters;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;

namespace Portal.Web.Tests.Components.Catalog;

/// <summary>
/// The details page over the real Core services: the team's clusters come from ClusterService on SQLite, eligibility
/// and values validation from the catalogue library, the catalogue itself from <see cref="TestCatalog"/>.
/// </summary>
public sealed class AddonPageTests : ClusterUiTest
{
    private readonly List<AddonInstallChoice> _sent = [];

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(TestCatalog.Catalog);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Service<EnvironmentService>().RegisterAsync(Owner, TeamSlug,
            new NewEnvironment(EnvironmentName.Staging, "210987654321", "eu-west-1", "arn:aws:iam::210987654321:role/unicron-provisioner", null),
            CancellationToken.None);
        await RequestClusterAsync("play", "1.33");
        await Clusters.RequestClusterAsync(Owner, TeamSlug, new NewCluster("pre", EnvironmentName.Staging, [Pool("general")], "1.33"), CancellationToken.None);
        await MarkReadyAsync("play");
        await MarkReadyAsync("pre");
    }

    private IRenderedComponent<AddonPage> Open(string id, bool withInstall = false, Func<AddonInstallChoice, Task>? install = null) => RenderPage<AddonPage>(p =>
    {
        p.Add(x => x.Id, id);
        if (withInstall) p.Add(x => x.Install, install ?? (request => { _sent.Add(request); return Task.CompletedTask; }));
    });

    private static IElement Cell(IRenderedComponent<AddonPage> page, string cluster, string version) =>
        page.Find($"[data-testid=addon-eligibility-row][data-cluster='{TeamSlug}/{cluster}'] [data-testid=addon-eligibility-cell][data-version='{version}']");

    [Fact]
    public void TheVersionsTable_SaysWhereEachMaturityRuns_AndWhereItComesFrom()
    {
        SignIn(Viewer);
        var page = Open("spark-operator");

        page.WaitForElement("[data-testid=addon-title]");
        var alpha = page.Find("[data-testid=addon-version-row][data-version='2.6.0']");
        Assert.Equal("dev only", alpha.QuerySelector("[data-testid=addon-version-where]")!.TextContent.Trim());
        var stable = page.Find("[data-testid=addon-version-row][data-version='2.5.2']");
        Assert.Equal("everywhere", stable.QuerySelector("[data-testid=addon-version-where]")!.TextContent.Trim());
        Assert.Contains("Helm chart spark-operator 2.5.2", stable.QuerySelector("[data-testid=addon-version-source]")!.TextContent);
        Assert.Contains("https://kubeflow.github.io/spark-operator", stable.TextContent);
        Assert.Contains("≥ 1.29", stable.TextContent);
        Assert.Contains("Fixes webhook certificates.", stable.TextContent);
        Assert.Equal("https://www.kubeflow.org/docs/components/spark-operator/", page.Find("[data-testid=addon-docs]").GetAttribute("href"));
    }

    [Fact]
    public void AnAddOnWithoutAChart_SaysHowItIsDelivered()
    {
        SignIn(Viewer);
        var page = Open("luigi");

        Assert.Contains("No maintained chart exists", page.WaitForElement("[data-testid=addon-delivery]").TextContent);
        Assert.Contains("Git deploy/overlays/portal at v3.6.0", page.Find("[data-testid=addon-version-source]").TextContent);
    }

    [Fact]
    public void EachCluster_SaysWhichVersionsItMayTake_AndWhyNotWhereItMayNot()
    {
        SignIn(Viewer);
        var page = Open("spark-operator");
        page.WaitForElement("[data-testid=addon-eligibility]");

        Assert.Equal("true", Cell(page, "play", "2.6.0").GetAttribute("data-allowed"));
        Assert.Equal("true", Cell(page, "play", "2.5.2").GetAttribute("data-allowed"));
        Assert.Equal("true", Cell(page, "pre", "2.5.2").GetAttribute("data-allowed"));
        var refused = Cell(page, "pre", "2.6.0");
        Assert.Equal("false", refused.GetAttribute("data-allowed"));
        var reasons = refused.QuerySelector("[data-testid=addon-eligibility-reasons]")!.TextContent;
        Assert.Contains("alpha", reasons, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("staging", reasons, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AViewer_IsNotOfferedToInstall()
    {
        SignIn(Viewer);
        var page = Open("mlflow", withInstall: true);
        page.WaitForElement("[data-testid=addon-eligibility]");
        Assert.Empty(page.FindAll("[data-testid=addon-install-button]"));
    }

    [Fact]
    public async Task TheInstallDialog_OffersOnlyClustersWhereTheVersionIsAllowed()
    {
        SignIn(Owner);
        var page = Open("spark-operator", withInstall: true);
        page.WaitForElement("[data-testid=addon-install-button]").Click();

        var dialog = Dialogs.WaitForElement("[data-testid=install-dialog]");
        // The newest version is alpha: dev only, so the staging cluster is listed as refused with the reason.
        Assert.Equal("data-science/play (dev, Kubernetes 1.33)", Dialogs.Find("[data-testid=install-cluster]").TextContent.Trim());
        var refused = Dialogs.Find("[data-testid=install-refused-cluster]");
        Assert.Equal("data-science/pre", refused.GetAttribute("data-cluster"));
        Assert.Contains("alpha", refused.TextContent, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(dialog);
    }

    [Fact]
    public async Task ValuesTheSchemaRefuses_AreMarkedOnTheirFields_AndNothingIsSent()
    {
        SignIn(Owner);
        var page = Open("mlflow", withInstall: true);
        page.WaitForElement("[data-testid=addon-install-button]").Click();
        Dialogs.WaitForElement("[data-testid=install-dialog]");

        await Dialogs.Find("[data-testid=schema-field][data-path='$.replicas'] input").ChangeAsync(new ChangeEventArgs { Value = "50" });
        Dialogs.Find("[data-testid=install-confirm]").Click();

        Assert.Empty(_sent);
        Assert.NotNull(Dialogs.Find("[data-testid=install-error]"));
        Assert.Contains("mud-input-error", Dialogs.Find("[data-testid=schema-field][data-path='$.replicas']").InnerHtml);
    }

    [Fact]
    public async Task AnAcceptedInstall_SendsTheChoice_AndClosesWithIt()
    {
        SignIn(Owner);
        var page = Open("mlflow", withInstall: true);
        page.WaitForElement("[data-testid=addon-install-button]").Click();
        Dialogs.WaitForElement("[data-testid=install-dialog]");

        await Dialogs.Find("[data-testid=schema-field][data-path='$.replicas'] input").ChangeAsync(new ChangeEventArgs { Value = "3" });
        Dialogs.Find("[data-testid=install-confirm]").Click();

        Dialogs.WaitForAssertion(() => Assert.Single(_sent));
        var request = _sent[0];
        Assert.Equal((TeamSlug, "play", "mlflow", "1.11.5"), (request.Team, request.Cluster, request.AddonId, request.Version));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"replicas":3}"""), request.Values), request.Values.ToJsonString());
        Assert.Empty(request.Dependencies);
        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll("[data-testid=install-dialog]")));
        Snackbars.WaitForAssertion(() => Assert.Contains("MLflow 1.11.5 is being installed on data-science/play", Snackbars.Markup));
    }

    [Fact]
    public async Task WhatTheServiceRefuses_IsShownInTheDialog_ValuesOnTheirFields()
    {
        SignIn(Owner);
        // AddonService's shape: values problems under "values.<path>", the rest by field name.
        var page = Open("mlflow", withInstall: true, install: _ => throw new DomainValidationException(new Dictionary<string, string[]>
        {
            ["values.tracking.port"] = ["must be at most 65535."],
            ["version"] = ["is not offered any more."],
        }));
        page.WaitForElement("[data-testid=addon-install-button]").Click();
        Dialogs.WaitForElement("[data-testid=install-dialog]");
        Dialogs.Find("[data-testid=install-confirm]").Click();

        Dialogs.WaitForAssertion(() => Assert.Contains("version is not offered any more.", Dialogs.Find("[data-testid=install-error]").TextContent));
        Assert.Contains("must be at most 65535.", Dialogs.Find("[data-testid=schema-field][data-path='$.tracking.port']").TextContent);
    }

    [Fact]
    public async Task AClusterThatIsNotReady_IsNotOffered_AndSaysWhy()
    {
        await WriteStatusAsync("pre", c => c.Phase = ClusterPhase.Updating);
        SignIn(Owner);
        var page = Open("mlflow", withInstall: true);
        page.WaitForElement("[data-testid=addon-install-button]").Click();

        var refused = Dialogs.WaitForElement("[data-testid=install-refused-cluster][data-cluster='data-science/pre']");
        Assert.Contains("is updating; add-ons can be installed once it is ready", refused.TextContent);
        Assert.Single(Dialogs.FindAll("[data-testid=install-refused-cluster]"));
    }

    [Fact]
    public void AnUnknownAddOn_IsNotFound()
    {
        SignIn(Viewer);
        var page = Open("kafka");
        Assert.Contains("There is no add-on 'kafka'", page.Find("[data-testid=status-notfound]").TextContent);
    }
}
