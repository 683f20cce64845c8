using MudBlazor.Services;
using Portal.Web.Components;

namespace Portal.Web.Startup;

public static class Ui
{
    public static WebApplicationBuilder AddPortalUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<Identity.CurrentActor>();
        return builder;
    }

    public static WebApplication MapPortalUi(this WebApplication app)
    {
        app.UseAntiforgery();
        // Files are cheap and a page needs a dozen of them: they do not count against anyone's request budget.
        app.MapStaticAssets().DisableRateLimiting();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
