namespace Portal.Web.Startup;

public static class Operations
{
    public static WebApplicationBuilder AddPortalOperations(this WebApplicationBuilder builder)
    {
        return builder;
    }

    public static WebApplication UsePortalOperations(this WebApplication app)
    {
        return app;
    }
}
