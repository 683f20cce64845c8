using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Environments;
using Portal.Testing;

namespace Portal.Core.Tests.Environments;

public sealed class EnvironmentOptionsTests
{
    [Fact]
    public void Regions_FromConfiguration_ReplaceTheDefaults()
    {
        using var services = PortalServices.Create(SqliteDatabase.Options(SqliteDatabase.NewPath()),
            settings: new Dictionary<string, string?> { ["Environments:Regions:0"] = "eu-south-2", ["Environments:Regions:1"] = "me-central-1" });
        Assert.Equal(["eu-south-2", "me-central-1"], services.GetRequiredService<EnvironmentService>().Regions);
    }

    [Fact]
    public void Regions_WhenNotConfigured_AreTheDefaults()
    {
        using var services = PortalServices.Create(SqliteDatabase.Options(SqliteDatabase.NewPath()));
        Assert.Equal(EnvironmentOptions.DefaultRegions, services.GetRequiredService<EnvironmentService>().Regions);
    }
}
