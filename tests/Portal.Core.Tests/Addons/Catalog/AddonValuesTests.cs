using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;
using static Portal.Core.Tests.Addons.Catalog.CatalogBuilders;

namespace Portal.Core.Tests.Addons.Catalog;

public sealed class AddonValuesTests
{
    private static readonly AddonCatalog Shipped = AddonCatalog.Load(AddonCatalog.DefaultDirectory);
    private static readonly AddonVersion Mlflow = Shipped.Find("mlflow")!.Versions[0];

    [Fact]
    public void Merge_DeepMergesMaps_ReplacesListsAndScalars_AndNullRemovesAKey()
    {
        var baseValues = JsonNode.Parse("""{"a":{"b":1,"c":2,"d":{"e":true}},"list":[1,2],"keep":"x","gone":"y"}""")!.AsObject();
        var overrides = JsonNode.Parse("""{"a":{"c":3,"d":{"f":false}},"list":[3],"gone":null,"new":{"n":1,"drop":null}}""")!.AsObject();
        var merged = AddonValues.Merge(baseValues, overrides);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"a":{"b":1,"c":3,"d":{"e":true,"f":false}},"list":[3],"keep":"x","new":{"n":1}}"""), merged));
    }

    [Fact]
    public void Merge_NeverChangesItsInputs()
    {
        var baseValues = JsonNode.Parse("""{"a":{"b":1}}""")!.AsObject();
        var overrides = JsonNode.Parse("""{"a":{"c":2},"x":[1]}""")!.AsObject();
        var merged = AddonValues.Merge(baseValues, overrides);
        merged["a"]!["b"] = 99;
        merged["x"]!.AsArray().Add(2);
        Assert.Equal("""{"a":{"b":1}}""", baseValues.ToJsonString());
        Assert.Equal("""{"a":{"c":2},"x":[1]}""", overrides.ToJsonString());
    }

    [Fact]
    public void Merge_WithNoBase_CopiesTheOverrides()
    {
        Assert.Equal("""{"a":1}""", AddonValues.Merge(null, new JsonObject { ["a"] = 1, ["b"] = null }).ToJsonString());
    }

    [Fact]
    public void Validate_AgainstTheRealMlflowSchema_AcceptsAChangedValue()
    {
        Assert.Empty(AddonValues.Validate(Mlflow, Parse("""{"replicaCount":2,"image":{"pullPolicy":"Always"},"serviceMonitor":{"enabled":true}}""")));
    }

    [Fact]
    public void Validate_AgainstTheRealMlflowSchema_NamesTheJsonPathOfAWrongType()
    {
        var problem = Assert.Single(AddonValues.Validate(Mlflow, Parse("""{"replicaCount":"two"}""")));
        Assert.Equal("$.replicaCount", problem.Path);
        Assert.Contains("integer", problem.Message);
    }

    [Fact]
    public void Validate_AgainstTheRealMlflowSchema_NamesTheJsonPathOfAValueOutsideTheEnum()
    {
        var problem = Assert.Single(AddonValues.Validate(Mlflow, Parse("""{"image":{"pullPolicy":"Sometimes"}}""")));
        Assert.Equal("$.image.pullPolicy", problem.Path);
    }

    [Fact]
    public void Validate_AgainstTheRealMlflowSchema_NamesAnUnknownField()
    {
        var problems = AddonValues.Validate(Mlflow, Parse("""{"tracking":{"replicas":3}}"""));
        var problem = Assert.Single(problems);
        Assert.Equal("$.tracking", problem.Path);
        Assert.Equal("This field is not allowed here.", problem.Message);
    }

    [Fact]
    public void Validate_ReportsEveryFailingValue()
    {
        var problems = AddonValues.Validate(Mlflow, Parse("""{"replicaCount":"two","image":{"pullPolicy":"Sometimes"},"service":{"port":"http"}}"""));
        Assert.Equal(["$.image.pullPolicy", "$.replicaCount", "$.service.port"], problems.Select(p => p.Path).Order());
    }

    [Fact]
    public void Validate_RemovingARequiredChartValue_IsRefused()
    {
        // A null override removes the key from the merged values; the upstream schema requires it.
        var problems = AddonValues.Validate(Mlflow, Parse("""{"service":null}"""));
        Assert.Contains(problems, p => p.Path == "$" && p.Message.Contains("service"));
    }

    [Fact]
    public void Validate_WithA2020_12Schema_ReportsNestedPaths()
    {
        var airflow = Shipped.Find("airflow")!.Versions[0];
        var problems = AddonValues.Validate(airflow, Parse("""{"scheduler":{"replicas":0},"executor":"Magic"}"""));
        Assert.Equal(["$.executor", "$.scheduler.replicas"], problems.Select(p => p.Path).Order());
    }

    [Fact]
    public void Validate_ListItems_AreNamedByIndex()
    {
        var argo = Shipped.Find("argo-workflows")!.Versions[0];
        var problem = Assert.Single(AddonValues.Validate(argo, Parse("""{"server":{"authModes":["server","magic"]}}""")));
        Assert.Equal("$.server.authModes[1]", problem.Path);
    }

    [Fact]
    public void ForInstall_IsTheCatalogueDefaultsWithTheOverrides_WithoutTheChartDefaults()
    {
        var values = AddonValues.ForInstall(Mlflow, Parse("""{"replicaCount":2}"""));
        Assert.Equal(2, values["replicaCount"]!.GetValue<int>());
        Assert.NotNull(values["resources"]); // the catalogue's default
        Assert.Null(values["image"]);        // a chart default: Helm applies it, the Application does not carry it
    }

    [Fact]
    public void Validate_WithoutASchema_FindsNoProblems()
    {
        Assert.Empty(AddonValues.Validate(Version("1.0.0"), Parse("""{"anything":true}""")));
    }

    [Fact]
    public void Validate_GitSourcedAddons_AcceptNoValues()
    {
        var luigi = Shipped.Find("luigi")!.Versions[0];
        Assert.Empty(AddonValues.Validate(luigi, []));
        Assert.Equal("$.replicas", Assert.Single(AddonValues.Validate(luigi, Parse("""{"replicas":2}"""))).Path);
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
