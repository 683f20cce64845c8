using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Costs;
using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Prices;

namespace Portal.Core.Tests.Costs;

public sealed class CostsServicesTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddPortalCosts();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void AddPortalCosts_ResolvesTheServices_WithTheConfiguredOptions()
    {
        using var provider = Build(new() { ["Costs:SpotEstimateDiscount"] = "0.5", ["Costs:Webhook:MaxAttempts"] = "3" });

        Assert.NotNull(provider.GetRequiredService<CostMeter>());
        Assert.NotNull(provider.GetRequiredService<SpotPricing>());
        Assert.IsType<Ec2SpotPriceSource>(provider.GetRequiredService<ISpotPriceSource>());
        Assert.NotNull(provider.GetRequiredService<BudgetWebhook>());
        Assert.Equal(0.5m, provider.GetRequiredService<IOptions<CostOptions>>().Value.SpotEstimateDiscount);
        Assert.Equal(3, provider.GetRequiredService<IOptions<BudgetWebhookOptions>>().Value.MaxAttempts);
    }

    [Fact]
    public void ADiscountOf100Percent_IsRefused()
    {
        using var provider = Build(new() { ["Costs:SpotEstimateDiscount"] = "1" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CostOptions>>().Value);
        Assert.Contains("SpotEstimateDiscount", error.Message);
    }
}
