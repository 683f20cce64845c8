using System.Text.Json.Nodes;
using Portal.Web.Components.Shared.Catalog;

namespace Portal.Web.Tests.Components.Catalog;

/// <summary>The YAML tab's printer and reader, and the JSON paths problems are matched by.</summary>
public sealed class ValuesTextTests
{
    [Fact]
    public void WrittenYaml_ReadsBackToTheSameJson_EvenForStringsThatLookLikeOtherTypes()
    {
        var values = JsonNode.Parse("""
            {
              "plain": "mlflow", "empty": "", "looksTrue": "true", "looksNumber": "1.10", "looksNull": "null", "yes": "yes",
              "colon": "a: b", "hash": "#not-a-comment", "dash": "- x", "quote": "say \"hi\"", "multi": "line 1\nline 2",
              "padded": " x ", "unicode": "café", "int": 3, "real": 0.25, "big": 12345678901, "on": true, "off": false, "nothing": null,
              "nested": { "deeper": { "k": "v" }, "emptyObject": {}, "emptyList": [] },
              "list": ["a", 1, false, null, { "name": "ann", "tags": ["x", "y"], "inner": { "z": 1 } }, [1, 2], {}],
              "app.kubernetes.io/name": "key with dots"
            }
            """)!.AsObject();

        var yaml = YamlValues.Write(values);
        var back = YamlValues.Parse(yaml);

        Assert.Null(back.Error);
        Assert.True(JsonNode.DeepEquals(values, back.Values), yaml);
        Assert.Contains("looksTrue: \"true\"", yaml);
        Assert.Contains("plain: mlflow", yaml);
    }

    [Fact]
    public void NothingToSay_IsAnEmptyDocument_BothWays()
    {
        Assert.Equal("", YamlValues.Write([]));
        Assert.Empty(YamlValues.Parse("  \n").Values!);
    }

    [Fact]
    public void ABrokenDocument_SaysWhereItBreaks()
    {
        var result = YamlValues.Parse("a: 1\nb: [1, 2\n");
        Assert.Null(result.Values);
        Assert.Matches(@"^Line \d+, column \d+: ", result.Error);
    }

    [Fact]
    public void AKeyGivenTwice_IsAnError_NotALastOneWins()
    {
        var result = YamlValues.Parse("replicas: 1\nreplicas: 2\n");
        Assert.Null(result.Values);
        Assert.StartsWith("Line 2, column 1: ", result.Error);
        Assert.Contains("replicas", result.Error);
    }

    [Theory]
    [InlineData("$.tracking.replicas", "$.tracking.replicas")]
    [InlineData("/tracking/replicas", "$.tracking.replicas")]
    [InlineData("$.users[0].name", "$.users[0].name")]
    [InlineData("/users/0/name", "$.users[0].name")]
    [InlineData("$['app.kubernetes.io/name']", "$['app.kubernetes.io/name']")]
    [InlineData("/labels/app.kubernetes.io~1name", "$.labels['app.kubernetes.io/name']")]
    [InlineData("$.labels[\"team\"]", "$.labels.team")]
    [InlineData("$", "$")]
    [InlineData("", "$")]
    public void ProblemPaths_InEitherNotation_ReadAsOnePath(string reported, string canonical) =>
        Assert.Equal(canonical, ValuePath.Parse(reported)!.Text);

    [Fact]
    public void APathThatIsNotAPath_IsNull() => Assert.Null(ValuePath.Parse("replicas"));
}
