using Portal.Core.Addons.Catalog;
using Portal.Core.Environments;

namespace Portal.Core.Tests.Addons.Catalog;

public sealed class MaturityPolicyTests
{
    [Theory]
    [InlineData(Maturity.Alpha, EnvironmentName.Dev, true)]
    [InlineData(Maturity.Alpha, EnvironmentName.Staging, false)]
    [InlineData(Maturity.Alpha, EnvironmentName.Prod, false)]
    [InlineData(Maturity.Beta, EnvironmentName.Dev, true)]
    [InlineData(Maturity.Beta, EnvironmentName.Staging, true)]
    [InlineData(Maturity.Beta, EnvironmentName.Prod, false)]
    [InlineData(Maturity.Stable, EnvironmentName.Dev, true)]
    [InlineData(Maturity.Stable, EnvironmentName.Staging, true)]
    [InlineData(Maturity.Stable, EnvironmentName.Prod, true)]
    public void Allows_FollowsTheMatrix_AndRefusalAgrees(Maturity maturity, EnvironmentName environment, bool allowed)
    {
        Assert.Equal(allowed, MaturityPolicy.Allows(maturity, environment));
        Assert.Equal(allowed, MaturityPolicy.Refusal(maturity, environment) is null);
    }

    [Fact]
    public void Refusal_OfAlphaOnStaging_SaysWhereAlphaMayGo()
    {
        Assert.Equal("Alpha versions may only be installed on dev clusters, and this is a staging cluster.",
            MaturityPolicy.Refusal(Maturity.Alpha, EnvironmentName.Staging));
    }

    [Fact]
    public void Refusal_OfBetaOnProd_ListsDevAndStaging()
    {
        Assert.Equal("Beta versions may only be installed on dev and staging clusters, and this is a prod cluster.",
            MaturityPolicy.Refusal(Maturity.Beta, EnvironmentName.Prod));
    }
}
