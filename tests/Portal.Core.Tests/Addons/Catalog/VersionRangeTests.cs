using Portal.Core.Addons.Catalog;

namespace Portal.Core.Tests.Addons.Catalog;

public sealed class VersionRangeTests
{
    [Theory]
    [InlineData("*", "0.0.1", true)]
    [InlineData(">=1.14.0", "1.14.0", true)]
    [InlineData(">=1.14.0", "1.13.9", false)]
    [InlineData(">=1.14.0 <2.0.0", "1.18.2", true)]
    [InlineData(">=1.14.0 <2.0.0", "2.0.0", false)]
    [InlineData(">1.2", "1.2.0", false)]
    [InlineData(">1.2", "1.2.1", true)]
    [InlineData("<=2.5", "2.5.0", true)]
    [InlineData("=2.5.2", "v2.5.2", true)]
    [InlineData("2.5.2", "2.5.3", false)]
    [InlineData(">=v1.9.0", "1.10.0", true)] // numeric, not text: 10 > 9
    [InlineData(">=1.0.0", "1.0.0-rc.1", false)] // a pre-release is below its release
    [InlineData("<1.0.0", "1.0.0-rc.1", true)]
    [InlineData(">=1.0.0-alpha.2", "1.0.0-alpha.10", true)] // numeric pre-release identifiers compare as numbers
    [InlineData(">=1.0.0-beta", "1.0.0-alpha", false)]
    [InlineData(">=26.03", "26.3.0", true)]
    [InlineData(">=1.0.0", "not-a-version", false)]
    public void Satisfies(string range, string version, bool expected) => Assert.Equal(expected, VersionRange.Satisfies(range, version));

    [Theory]
    [InlineData("*", true)]
    [InlineData(">=1.2.3 <2", true)]
    [InlineData("  >=1.2.3   <2  ", true)]
    [InlineData("", false)]
    [InlineData(">=", false)]
    [InlineData("~1.2", false)]
    [InlineData("^1.2", false)]
    [InlineData(">=1.x", false)]
    [InlineData("* >=1.0", false)]
    public void IsValid(string range, bool expected) => Assert.Equal(expected, VersionRange.IsValid(range));

    [Fact]
    public void Compare_OrdersNumerically_WithPreReleasesBeforeTheirRelease()
    {
        string[] versions = ["1.10.0", "1.9.2", "1.10.0-rc.1", "v1.2", "2.0.0"];
        Assert.Equal(["v1.2", "1.9.2", "1.10.0-rc.1", "1.10.0", "2.0.0"], versions.Order(Comparer<string>.Create(VersionRange.Compare)));
    }
}
