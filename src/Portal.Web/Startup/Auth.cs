namespace Portal.Web.Startup;

public static class Auth
{
    public static WebApplicationBuilder AddPortalAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication();
        builder.Services.AddAuthorization();
        return builder;
    }

    public static WebApplication UsePortalAuthentication(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
