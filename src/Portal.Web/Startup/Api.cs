using Portal.Api;

namespace Portal.Web.Startup;

public static class Api
{
    public static WebApplicationBuilder AddPortalApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddPortalApi();
        return builder;
    }

    public static WebApplication MapPortalApi(this WebApplication app)
    {
        PortalApi.MapPortalApi(app);
        return app;
    }
}
