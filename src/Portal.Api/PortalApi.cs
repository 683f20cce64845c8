using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Api;

/// <summary>The REST API v1: registered and mapped explicitly by the host, one call each.</summary>
public static class PortalApi
{
    /// <summary>Name of the authorization policy every API route requires: API schemes only, never the UI cookie.</summary>
    public const string PolicyName = "PortalApi";

    public static IServiceCollection AddPortalApi(this IServiceCollection services)
    {
        return services;
    }

    public static IEndpointRouteBuilder MapPortalApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1").RequireAuthorization(PolicyName);
        return app;
    }
}
