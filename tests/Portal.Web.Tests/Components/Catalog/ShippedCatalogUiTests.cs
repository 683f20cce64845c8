using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Addons.Catalog;
using Portal.Web.Components.Pages.Catalog;
using Portal.Web.Components.Shared.Catalog;
using Portal.Web.Tests.Components.Clusters;

namespace Portal.Web.Tests.Components.Catalog;

/// <summary>The pages over the catalogue the portal ships (repo-root catalog/, loaded as the host loads it).</summary>
public sealed class ShippedCatalogUiTests : ClusterUiTest
{
    private readonly List<AddonInstallChoice> _sent = [];

    private AddonCatalog Shipped => Service<AddonCatalog>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RequestClusterAsync("play", "1.33");
        await MarkReadyAsync("play");
        SignIn(Owner);
    }

    private IRenderedComponent<AddonPage> OpenDialog(string id)
    {
        var page = RenderPage<AddonPage>(p => p.Add(x => x.Id, id).Add(x => x.Install, r => { _sent.Add(r); return Task.CompletedTask; }));
        page.WaitForElement("[data-testid=addon-install-button]").Click();
        Dialogs.WaitForElement("[data-testid=install-dialog]");
        return page;
    }

    [Fact]
    public void EveryShippedAddOn_HasACard_AndAnIconThePortalDraws()
    {
        var page = RenderPage<CatalogPage>();

        Assert.Equal(Shipped.Entries.Select(e => e.Id), page.FindAll("[data-testid=addon-card]").Select(c => c.GetAttribute("data-id")));
        Assert.True(Shipped.Entries.Count >= 13);
        Assert.All(Shipped.Entries, e => Assert.True(CatalogLabels.MaterialIcon(e.Icon) is not null, $"{e.Id}: icon {e.Icon} is not mapped"));
    }

    [Fact]
    public async Task MlflowsUpstreamSchema_RendersFolded_AndAChangedValueIsAllThatIsSent()
    {
        OpenDialog("mlflow");

        // Dozens of top-level groups, none drawn until opened.
        Assert.True(Dialogs.FindAll("[data-testid=schema-section-toggle]").Count > 10);
        Assert.Empty(Dialogs.FindAll("[data-testid=schema-section-body]"));
        Assert.Equal("1", Dialogs.Find("[data-testid=schema-field][data-path='$.replicaCount'] input").GetAttribute("value"));

        await Dialogs.Find("[data-testid=schema-field][data-path='$.replicaCount'] input").ChangeAsync(new ChangeEventArgs { Value = "2" });
        Dialogs.Find("[data-testid=install-confirm]").Click();

        // The first validation compiles mlflow's large schema: wait for the handler rather than assume it is done.
        Dialogs.WaitForAssertion(() => Assert.Single(_sent), TimeSpan.FromSeconds(10));
        Assert.Equal("""{"replicaCount":2}""", _sent[0].Values.ToJsonString());
    }

    [Fact]
    public async Task AValueTheUpstreamSchemaRefuses_IsMarkedAtItsField_AfterTheYamlTab()
    {
        OpenDialog("mlflow");
        Dialogs.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "YAML").Click();
        await Dialogs.Find("textarea[data-testid=schema-form-yaml]").ChangeAsync(new ChangeEventArgs { Value = "replicaCount: many\n" });
        Dialogs.Find("[data-testid=install-confirm]").Click();

        Dialogs.WaitForElement("[data-testid=install-error]", TimeSpan.FromSeconds(10));
        Assert.Empty(_sent);
        Dialogs.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "Form").Click();
        var field = Dialogs.Find("[data-testid=schema-field][data-path='$.replicaCount']");
        Assert.Contains("mud-input-error", field.InnerHtml);
    }

    [Fact]
    public async Task AMissingRequirement_IsOfferedFirst_AndMustBeConfirmed()
    {
        OpenDialog("katib");

        var dependency = Dialogs.Find("[data-testid=install-dependency]");
        Assert.Equal("cert-manager", dependency.GetAttribute("data-id"));
        Assert.True(Dialogs.Find("[data-testid=install-confirm]").HasAttribute("disabled"));

        await Dialogs.Find("[data-testid=install-dependencies-confirm] input, input[data-testid=install-dependencies-confirm]").ChangeAsync(new ChangeEventArgs { Value = true });
        Dialogs.Find("[data-testid=install-confirm]").Click();

        Dialogs.WaitForAssertion(() => Assert.Single(_sent), TimeSpan.FromSeconds(10));
        var request = _sent[0];
        Assert.Equal("cert-manager", Assert.Single(request.Dependencies).Entry.Id);
        Assert.Empty(request.Values);
    }
}
