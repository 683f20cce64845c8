using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using Portal.Core.Addons.Catalog;
using Portal.Web.Components.Shared.Catalog;

namespace Portal.Web.Tests.Components.Catalog;

/// <summary>The values form on its own: one input per schema type, overrides only, problems on their fields, the YAML tab.</summary>
public sealed class SchemaFormTests : PortalUiTest
{
    internal static JsonObject Schema() => JsonNode.Parse("""
        {
          "type": "object",
          "properties": {
            "name": { "type": "string", "description": "The release's name.", "minLength": 3, "maxLength": 20, "pattern": "^[a-z-]+$" },
            "logLevel": { "type": "string", "enum": ["debug", "info", "warn"] },
            "ratio": { "type": "number", "minimum": 0, "maximum": 1 },
            "replicas": { "type": "integer", "minimum": 1, "maximum": 10, "description": "Server pods." },
            "enabled": { "type": "boolean", "description": "Serve the UI." },
            "tracking": {
              "type": "object", "description": "The tracking server.",
              "properties": { "host": { "type": "string" }, "port": { "type": "integer", "default": 5000 } }
            },
            "extraArgs": { "type": "array", "items": { "type": "string" } },
            "ports": { "type": "array", "items": { "type": "integer" } },
            "users": {
              "type": "array",
              "items": { "type": "object", "properties": { "name": { "type": "string" }, "admin": { "type": "boolean" } } }
            },
            "affinity": { "type": "object" }
          }
        }
        """)!.AsObject();

    internal static JsonObject Defaults() => JsonNode.Parse("""
        {
          "name": "mlflow", "logLevel": "info", "ratio": 0.5, "replicas": 1, "enabled": false,
          "tracking": { "host": "localhost" },
          "extraArgs": ["--serve-artifacts"],
          "users": [{ "name": "ann", "admin": true }]
        }
        """)!.AsObject();

    private JsonObject? _overrides;
    private string? _yamlError = "not reported";

    private IRenderedComponent<SchemaForm> RenderForm(JsonObject? overrides = null, IReadOnlyList<ValuesProblem>? problems = null)
    {
        RenderPage<MudText>();
        return Render<SchemaForm>(p => p
            .Add(x => x.Schema, Schema())
            .Add(x => x.Defaults, Defaults())
            .Add(x => x.Overrides, overrides)
            .Add(x => x.Problems, problems)
            .Add(x => x.OverridesChanged, o => _overrides = o)
            .Add(x => x.YamlErrorChanged, e => _yamlError = e));
    }

    private static IElement Field(IRenderedComponent<SchemaForm> form, string path) => form.Find($"[data-testid=schema-field][data-path='{path}']");

    [Fact]
    public void EverySupportedType_GetsItsOwnInput_StartingFromTheDefaults()
    {
        var form = RenderForm();

        Assert.Equal("string", Field(form, "$.name").GetAttribute("data-kind"));
        Assert.Equal("enum", Field(form, "$.logLevel").GetAttribute("data-kind"));
        Assert.Equal("number", Field(form, "$.ratio").GetAttribute("data-kind"));
        Assert.Equal("integer", Field(form, "$.replicas").GetAttribute("data-kind"));
        Assert.Equal("boolean", Field(form, "$.enabled").GetAttribute("data-kind"));
        Assert.Equal("object", Field(form, "$.tracking").GetAttribute("data-kind"));
        Assert.Equal("scalararray", Field(form, "$.extraArgs").GetAttribute("data-kind"));
        Assert.Equal("objectarray", Field(form, "$.users").GetAttribute("data-kind"));
        Assert.Equal("other", Field(form, "$.affinity").GetAttribute("data-kind"));

        var name = Field(form, "$.name");
        Assert.Equal("mlflow", name.QuerySelector("input")!.GetAttribute("value"));
        Assert.Contains("The release's name.", name.TextContent);
        Assert.Contains("3 to 20 characters, matching ^[a-z-]+$", name.TextContent);
        Assert.Equal("1", Field(form, "$.replicas").QuerySelector("input")!.GetAttribute("value"));
        Assert.Contains("1 to 10", Field(form, "$.replicas").TextContent);
        Assert.Equal("info", Field(form, "$.logLevel").QuerySelector("input")!.GetAttribute("value"));
        Assert.Equal("0.5", Field(form, "$.ratio").QuerySelector("input")!.GetAttribute("value"));
        Assert.NotNull(Field(form, "$.enabled").QuerySelector("input[type=checkbox]"));
        Assert.Contains("Serve the UI.", Field(form, "$.enabled").TextContent);
        Assert.Equal(["--serve-artifacts"], Field(form, "$.extraArgs").QuerySelectorAll("[data-testid=schema-list-item]").Select(c => c.TextContent.Trim()));
        // Every input has a label, for screen readers and axe.
        Assert.All(form.FindAll("[data-path='$.name'] input, [data-path='$.replicas'] input"), i => Assert.NotNull(form.Find($"label[for='{i.Id}']")));
    }

    [Fact]
    public async Task Sections_StartFolded_AndDrawTheirFieldsWhenOpened()
    {
        var form = RenderForm();
        Assert.Empty(form.FindAll("[data-path='$.tracking.host']"));
        Assert.Equal("false", Field(form, "$.tracking").QuerySelector("[data-testid=schema-section-toggle]")!.GetAttribute("aria-expanded"));

        await Field(form, "$.tracking").QuerySelector("[data-testid=schema-section-toggle]")!.ClickAsync(new MouseEventArgs());
        Assert.Equal("localhost", Field(form, "$.tracking.host").QuerySelector("input")!.GetAttribute("value"));
        // The schema's own default shows when the values carry none.
        Assert.Equal("default: 5000", Field(form, "$.tracking.port").QuerySelector("input")!.GetAttribute("placeholder"));

        await Field(form, "$.users").QuerySelector("[data-testid=schema-section-toggle]")!.ClickAsync(new MouseEventArgs());
        var item = Field(form, "$.users").QuerySelector("[data-testid=schema-item]")!;
        Assert.Equal("ann", Field(form, "$.users[0].name").QuerySelector("input")!.GetAttribute("value"));
        Assert.Equal("object", Field(form, "$.tracking").GetAttribute("data-kind"));
        Assert.NotNull(item.QuerySelector("[data-path='$.users[0].admin'] input[type=checkbox]"));
    }

    [Fact]
    public async Task Changes_AreHandedBack_AsOverridesOfWhatDiffersFromTheDefaults()
    {
        var form = RenderForm();

        await Field(form, "$.name").QuerySelector("input")!.ChangeAsync(new ChangeEventArgs { Value = "tracker" });
        await Field(form, "$.replicas").QuerySelector("input")!.ChangeAsync(new ChangeEventArgs { Value = "3" });
        await Field(form, "$.ratio").QuerySelector("input")!.ChangeAsync(new ChangeEventArgs { Value = "0.75" });
        await Field(form, "$.enabled").QuerySelector("input")!.ChangeAsync(new ChangeEventArgs { Value = true });
        await form.InvokeAsync(() => form.FindComponents<MudSelect<string>>().Single().Instance.ValueChanged.InvokeAsync("\"debug\""));
        await Field(form, "$.tracking").QuerySelector("[data-testid=schema-section-toggle]")!.ClickAsync(new MouseEventArgs());
        await Field(form, "$.tracking.port").QuerySelector("input")!.ChangeAsync(new ChangeEventArgs { Value = "5001" });
        await Field(form, "$.ports").QuerySelector("[data-testid=schema-list-input]")!.InputAsync(new ChangeEventArgs { Value = "8080" });
        await Field(form, "$.ports").QuerySelector("[data-testid=schema-list-add]")!.ClickAsync(new MouseEventArgs());
        await Field(form, "$.users").QuerySelector("[data-testid=schema-section-toggle]")!.ClickAsync(new MouseEventArgs());
        await Field(form, "$.users").QuerySelector("[data-testid=schema-item-add]")!.ClickAsync(new MouseEventArgs());
        await Field(form, "$.users[1].name").QuerySelector("input")!.ChangeAsync(new ChangeEventArgs { Value = "bob" });

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
              "name": "tracker", "replicas": 3, "ratio": 0.75, "enabled": true, "logLevel": "debug",
              "tracking": { "port": 5001 },
              "ports": [8080],
              "users": [{ "name": "ann", "admin": true }, { "name": "bob" }]
            }
            """), _overrides), _overrides?.ToJsonString());

        // Back to the default: no longer an override. The reset button does the same for the replicas.
        await Field(form, "$.name").QuerySelector("input")!.ChangeAsync(new ChangeEventArgs { Value = "mlflow" });
        await Field(form, "$.replicas").QuerySelector("[data-testid=schema-reset]")!.ClickAsync(new MouseEventArgs());
        await Field(form, "$.extraArgs").QuerySelector("[data-testid=schema-list-item] .mud-chip-close-button")!.ClickAsync(new MouseEventArgs());
        Assert.False(_overrides!.ContainsKey("name"));
        Assert.False(_overrides.ContainsKey("replicas"));
        Assert.Equal("[]", _overrides["extraArgs"]!.ToJsonString());
        Assert.Equal("1", Field(form, "$.replicas").QuerySelector("input")!.GetAttribute("value"));
    }

    [Fact]
    public async Task AListItemOfTheWrongType_IsRefusedAtTheInput()
    {
        var form = RenderForm();
        await Field(form, "$.ports").QuerySelector("[data-testid=schema-list-input]")!.InputAsync(new ChangeEventArgs { Value = "http" });
        await Field(form, "$.ports").QuerySelector("[data-testid=schema-list-add]")!.ClickAsync(new MouseEventArgs());

        Assert.Contains("'http' is not a integer", Field(form, "$.ports").TextContent);
        Assert.Null(_overrides);
    }

    [Fact]
    public void Problems_AreShownOnTheirFields_SectionsAboveThemOpen_AndTheRestAreListed()
    {
        var form = RenderForm(problems:
        [
            new("$.replicas", "must be at most 10."),
            new("$.tracking.port", "must be at most 65535."),
            new("$.users[0].name", "must not be empty."),
            new("$.affinity.nodeAffinity", "is not an object."),
            new("$", "has an unknown key 'replica'."),
        ]);

        Assert.Contains("must be at most 10.", Field(form, "$.replicas").TextContent);
        Assert.Contains("mud-input-error", Field(form, "$.replicas").InnerHtml);
        // Folded sections open by themselves to show what needs attention.
        Assert.Contains("must be at most 65535.", Field(form, "$.tracking.port").TextContent);
        Assert.Contains("must not be empty.", Field(form, "$.users[0].name").TextContent);
        Assert.Contains("5 values need attention", form.Find("[data-testid=schema-form-problems]").TextContent);
        var unplaced = form.FindAll("[data-testid=schema-form-unplaced] li").Select(li => li.TextContent).ToList();
        Assert.Equal(["$.affinity.nodeAffinity is not an object.", "$ has an unknown key 'replica'."], unplaced);
    }

    [Fact]
    public async Task TheYamlTab_ShowsTheOverrides_AndItsEditsComeBackToTheForm()
    {
        var form = RenderForm(overrides: JsonNode.Parse("""{ "replicas": 2, "tracking": { "host": "true" } }""")!.AsObject());
        await form.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "YAML").ClickAsync(new MouseEventArgs());

        var yaml = form.Find("textarea[data-testid=schema-form-yaml]");
        Assert.Equal("replicas: 2\ntracking:\n  host: \"true\"\n", yaml.TextContent);

        await yaml.ChangeAsync(new ChangeEventArgs { Value = "replicas: 4\nextraArgs:\n  - --workers=2\n  - \"8\"\n" });
        // MudTextField hands its value on asynchronously: wait for it rather than race it on a busy machine.
        form.WaitForAssertion(() => Assert.Null(_yamlError));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{ "replicas": 4, "extraArgs": ["--workers=2", "8"] }"""), _overrides), _overrides?.ToJsonString());

        await form.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "Form").ClickAsync(new MouseEventArgs());
        Assert.Equal("4", Field(form, "$.replicas").QuerySelector("input")!.GetAttribute("value"));
        Assert.Equal(["--workers=2", "8"], Field(form, "$.extraArgs").QuerySelectorAll("[data-testid=schema-list-item]").Select(c => c.TextContent.Trim()));
    }

    [Fact]
    public async Task YamlThatDoesNotParse_IsReportedInline_AndKeepsTheLastGoodValues()
    {
        var form = RenderForm(overrides: JsonNode.Parse("""{ "replicas": 2 }""")!.AsObject());
        await form.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "YAML").ClickAsync(new MouseEventArgs());

        await form.Find("textarea[data-testid=schema-form-yaml]").ChangeAsync(new ChangeEventArgs { Value = "replicas: [1, 2\n" });
        form.WaitForAssertion(() => Assert.StartsWith("Line ", _yamlError));
        Assert.StartsWith("Line ", _yamlError);
        Assert.Contains(_yamlError!, form.Find("[data-testid=schema-form]").TextContent);
        Assert.Null(_overrides);

        await form.Find("textarea[data-testid=schema-form-yaml]").ChangeAsync(new ChangeEventArgs { Value = "- just\n- a list\n" });
        form.WaitForAssertion(() => Assert.Contains("must be a mapping", _yamlError));

        await form.Find("textarea[data-testid=schema-form-yaml]").ChangeAsync(new ChangeEventArgs { Value = "replicas: 3\n" });
        form.WaitForAssertion(() => Assert.Null(_yamlError));
        Assert.Equal("""{"replicas":3}""", _overrides!.ToJsonString());
    }

    [Fact]
    public async Task WithoutASchema_TheFormSaysSo_AndTheYamlTabStillWorks()
    {
        RenderPage<MudText>();
        var form = Render<SchemaForm>(p => p.Add(x => x.Schema, null).Add(x => x.Defaults, new JsonObject { ["a"] = 1 })
            .Add(x => x.OverridesChanged, o => _overrides = o));
        Assert.NotNull(form.Find("[data-testid=schema-form-no-schema]"));

        await form.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "YAML").ClickAsync(new MouseEventArgs());
        await form.Find("textarea[data-testid=schema-form-yaml]").ChangeAsync(new ChangeEventArgs { Value = "a: 1\nb: {c: [1, two]}\n" });
        form.WaitForAssertion(() => Assert.NotNull(_overrides));
        Assert.Equal("""{"b":{"c":[1,"two"]}}""", _overrides!.ToJsonString());
    }
}
