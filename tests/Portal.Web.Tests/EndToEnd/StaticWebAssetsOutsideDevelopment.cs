using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// Serves the static web assets of packages (MudBlazor's CSS and JS) from a build folder outside Development, where a
/// published app would have copied them to wwwroot. <c>IWebHostBuilder.UseStaticWebAssets()</c> does not reach the
/// final environment of a minimal-hosting app under WebApplicationFactory, so this sets it up on the real one, before
/// the first request.
/// </summary>
public sealed class StaticWebAssetsOutsideDevelopment(IWebHostEnvironment environment, IConfiguration configuration) : IStartupFilter
{
    public static void AddTo(IWebHostBuilder builder)
    {
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, StaticWebAssetsOutsideDevelopment>());
        // MapStaticAssets then resolves files through the environment's web root at request time, as in Development.
        builder.UseSetting("ReloadStaticAssetsAtRuntime", "true");
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next)
    {
        StaticWebAssetsLoader.UseStaticWebAssets(environment, configuration);
        return next;
    }
}
