using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Core.Addons.Catalog;

namespace Portal.Core.Tests.Addons.Catalog;

/// <summary>A broken catalogue file stops the start with a message naming the file and the field.</summary>
public sealed class BrokenCatalogTests : IDisposable
{
    private const string Good = """
        id: tool
        name: Tool
        category: data-processing
        description: A tool.
        documentation: https://docs.example.org/tool
        icon: Bolt
        versions:
          - version: "1.2.0"
            maturity: stable
            source:
              helm:
                repo: https://charts.example.org
                chart: tool
                version: "1.2.0"
            namespace: tool
            values:
              replicas: 1
            valuesSchema: schemas/tool.schema.json
            releaseNotes: First.
        """;

    private const string Schema = """
        {"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
         "properties":{"replicas":{"type":"integer","minimum":1}},"additionalProperties":false}
        """;

    private readonly string root = Directory.CreateTempSubdirectory("catalog-test-").FullName;
    private readonly string catalog;

    public BrokenCatalogTests()
    {
        catalog = Directory.CreateDirectory(Path.Combine(root, "catalog")).FullName;
        Directory.CreateDirectory(Path.Combine(catalog, "schemas"));
        File.WriteAllText(Path.Combine(catalog, "schemas", "tool.schema.json"), Schema);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Fails(string yaml, string file = "tool.yaml")
    {
        File.WriteAllText(Path.Combine(catalog, file), yaml);
        return Assert.Throws<AddonCatalogException>(() => AddonCatalog.Load(catalog)).Message;
    }

    [Fact]
    public void AGoodFile_Loads_WithItsSchemaFromTheCatalogueFolder()
    {
        File.WriteAllText(Path.Combine(catalog, "tool.yaml"), Good);
        var entry = Assert.Single(AddonCatalog.Load(catalog).Entries);
        Assert.Equal("1.2.0", Assert.Single(entry.Versions).Version);
        Assert.NotNull(entry.Versions[0].ValuesSchema);
    }

    [Fact]
    public void AMissingHelmChart_IsNamedWithItsFieldPath()
    {
        Assert.Equal("catalog/tool.yaml: versions[0].source.helm.chart: is required.", Fails(Good.Replace("        chart: tool\n", "")));
    }

    [Fact]
    public void AnUnknownField_IsNamed()
    {
        Assert.StartsWith("catalog/tool.yaml: versions[0].maturty: is not a known field", Fails(Good.Replace("maturity: stable", "maturity: stable\n    maturty: beta")));
    }

    [Fact]
    public void AnUnknownMaturity_IsNamed()
    {
        Assert.Equal("catalog/tool.yaml: versions[0].maturity: must be alpha, beta or stable; got \"gold\".", Fails(Good.Replace("maturity: stable", "maturity: gold")));
    }

    [Fact]
    public void AnUnknownCategory_IsNamed()
    {
        Assert.StartsWith("catalog/tool.yaml: category: must be one of data-processing, orchestration", Fails(Good.Replace("category: data-processing", "category: games")));
    }

    [Fact]
    public void AnUnquotedVersionThatYamlReadsAsANumber_IsRefused_NotSilentlyChanged()
    {
        // YAML reads 1.20 as the number 1.2: the file must quote it.
        var message = Fails(Good.Replace("version: \"1.2.0\"\n    maturity", "version: 1.20\n    maturity"));
        Assert.StartsWith("catalog/tool.yaml: versions[0].version: must be a string (quote it", message);
    }

    [Fact]
    public void InvalidYaml_NamesTheFileAndLine()
    {
        Assert.StartsWith("catalog/tool.yaml: line 2: is not valid YAML", Fails(Good.Replace("name: Tool", "name: Tool: Two")));
    }

    [Fact]
    public void AnUnclosedList_IsInvalidYaml_NotACrash()
    {
        Assert.StartsWith("catalog/tool.yaml: (file): is not valid YAML", Fails(Good.Replace("icon: Bolt", "icon: [Bolt")));
    }

    [Fact]
    public void ARepeatedKey_IsRefused()
    {
        var message = Fails(Good.Replace("icon: Bolt", "icon: Bolt\nicon: Star"));
        Assert.StartsWith("catalog/tool.yaml: line 7: is not valid YAML", message);
        Assert.Contains("Duplicate key", message);
    }

    [Fact]
    public void AnIdThatDoesNotMatchTheFileName_IsRefused()
    {
        Assert.Equal("catalog/other.yaml: id: must match the file name (\"other\"), got \"tool\".", Fails(Good, "other.yaml"));
    }

    [Fact]
    public void BothHelmAndGit_IsRefused()
    {
        var both = Good.Replace("        version: \"1.2.0\"\n    namespace", "        version: \"1.2.0\"\n      git:\n        repo: https://git.example.org/x.git\n        path: x\n        revision: v1\n    namespace");
        Assert.Equal("catalog/tool.yaml: versions[0].source: must have exactly one of helm and git.", Fails(both));
    }

    [Fact]
    public void ABadVersionRange_IsNamed()
    {
        var message = Fails(Good.Replace("    releaseNotes", "    requires:\n      - id: base\n        version: \"^1.2\"\n    releaseNotes"));
        Assert.Equal("catalog/tool.yaml: versions[0].requires[0].version: \"^1.2\" is not a version range (such as \">=1.14.0 <2.0.0\" or \"*\").", message);
    }

    [Fact]
    public void ARequirementOnAnAddonNotInTheCatalogue_IsNamed()
    {
        var message = Fails(Good.Replace("    releaseNotes", "    requires:\n      - id: cert-manger\n        version: \">=1.0.0\"\n    releaseNotes"));
        Assert.Equal("catalog/tool.yaml: versions[0].requires[0].id: tool 1.2.0 requires \"cert-manger\", which is not in the catalogue.", message);
    }

    [Fact]
    public void DefaultValuesTheSchemaRefuses_AreNamedWithTheirJsonPath()
    {
        var message = Fails(Good.Replace("replicas: 1", "replicas: 0"));
        Assert.StartsWith("catalog/tool.yaml: versions[0].values: the default values do not match the values schema: $.replicas:", message);
    }

    [Fact]
    public void AMissingSchemaFile_IsNamed()
    {
        Assert.Equal("catalog/tool.yaml: versions[0].valuesSchema: the file \"schemas/none.json\" does not exist.",
            Fails(Good.Replace("schemas/tool.schema.json", "schemas/none.json")));
    }

    [Fact]
    public void ASchemaPathOutsideTheCatalogueFolder_IsRefused()
    {
        Assert.Contains("must stay inside the catalogue folder", Fails(Good.Replace("schemas/tool.schema.json", "../secrets.json")));
    }

    [Fact]
    public void ASchemaThatIsNotJsonSchema_IsNamed()
    {
        File.WriteAllText(Path.Combine(catalog, "schemas", "tool.schema.json"), """{"type":"no-such-type"}""");
        Assert.StartsWith("catalog/tool.yaml: versions[0].valuesSchema: is not a valid JSON Schema", Fails(Good));
    }

    [Fact]
    public void AMissingFolder_IsRefused()
    {
        Assert.Throws<AddonCatalogException>(() => AddonCatalog.Load(Path.Combine(root, "nowhere")));
    }

    [Fact]
    public void TheConstructor_RefusesDuplicateIds()
    {
        var entry = new AddonEntry("x", "X", AddonCategory.Serving, "d", new Uri("https://x.example.org"), "Bolt", [CatalogBuilders.Version("1.0.0")]);
        Assert.Contains("\"x\" is used by more than one", Assert.Throws<AddonCatalogException>(() => new AddonCatalog([entry, entry])).Message);
    }

    [Fact]
    public async Task TheHost_DoesNotStart_WithABrokenCatalogue_AndSaysWhy()
    {
        File.WriteAllText(Path.Combine(catalog, "tool.yaml"), Good.Replace("maturity: stable", "maturity: gold"));
        using var host = Host(catalog);
        var error = await Assert.ThrowsAsync<AddonCatalogException>(() => host.StartAsync());
        Assert.StartsWith("catalog/tool.yaml: versions[0].maturity:", error.Message);
    }

    [Fact]
    public async Task TheHost_ServesTheShippedCatalogue_ByDefault()
    {
        using var host = Host(path: null);
        await host.StartAsync();
        Assert.NotNull(host.Services.GetRequiredService<AddonCatalog>().Find("mlflow"));
        await host.StopAsync();
    }

    private static IHost Host(string? path)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (path is not null) builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Addons:CatalogPath"] = path });
        builder.Services.AddPortalAddonCatalog();
        return builder.Build();
    }
}
