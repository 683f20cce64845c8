using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Addons;
using Portal.Api.Audit;
using Portal.Api.Authentication;
using Portal.Api.Catalog;
using Portal.Api.Clusters;
using Portal.Api.Costs;
using Portal.Api.Environments;
using Portal.Api.GroupMappings;
using Portal.Api.Idempotency;
using Portal.Api.InferenceEndpoints;
using Portal.Api.Infrastructure;
using Portal.Api.Me;
using Portal.Api.Members;
using Portal.Api.Teams;
using Portal.Api.Tokens;

namespace Portal.Api;

/// <summary>The REST API v1: registered and mapped explicitly by the host, one call each.</summary>
public static class PortalApi
{
    /// <summary>Name of the authorization policy every API route requires: API schemes only, never the UI cookie.</summary>
    public const string PolicyName = "PortalApi";

    public const string RoutePrefix = "/api";
    public const string V1 = "/api/v1";

    public static IServiceCollection AddPortalApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        // Binding failures (bad JSON, unparsable query values) become exceptions the problem handler can name
        // fields from, rather than bare 400s with no body.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiProblemDetails.Customize);
        services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        services.AddRequestBodyLimits();
        services.AddValidation();
        services.AddPortalApiAuthentication();
        services.AddPortalOpenApi();
        return services;
    }

    public static IEndpointRouteBuilder MapPortalApi(this IEndpointRouteBuilder app)
    {
        if (app is IApplicationBuilder pipeline)
        {
            // Bodiless 4xx on API routes (unknown route, wrong method) get an RFC 9457 body too. Exceptions are
            // turned into problems by the host's UseExceptionHandler(), which runs first in the pipeline.
            pipeline.UseWhen(c => c.Request.IsApiRequest(), api => api.UseStatusCodePages().UseRequestBodyLimits().UseControlCharacterGuard());
            pipeline.UsePortalOpenApi();
        }

        var v1 = app.MapGroup(V1)
            .RequireAuthorization(PolicyName)
            .AddEndpointFilter<IdempotencyFilter>()
            .AddEndpointFilter<ETagFilter>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError);

        v1.MapMeEndpoints();
        v1.MapTeamEndpoints();
        v1.MapMemberEndpoints();
        v1.MapGroupMappingEndpoints();
        v1.MapEnvironmentEndpoints();
        v1.MapTokenEndpoints();
        v1.MapAuditEndpoints();
        v1.MapClusterEndpoints();
        v1.MapCostEndpoints();
        v1.MapCatalogEndpoints();
        v1.MapAddonEndpoints();
        v1.MapInferenceEndpointEndpoints();
        return app;
    }
}
