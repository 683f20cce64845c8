using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Portal.Api.Authentication;

namespace Portal.Api.Infrastructure;

/// <summary>
/// Swashbuckle: the document at <c>/openapi/v1.json</c> (every endpoint, contract, problem response and both bearer
/// schemes) and Swagger UI at <c>/api/docs</c>. Swashbuckle 11 builds on Microsoft.OpenApi 2+, whose types live in
/// the <c>Microsoft.OpenApi</c> namespace.
/// </summary>
public static class OpenApiDocumentation
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string UiPath = "api/docs";
    private const string AccessTokenSecurity = "accessToken";
    private const string OidcSecurity = "oidcJwt";

    public static IServiceCollection AddPortalOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Unicron Portal API",
                Version = DocumentName,
                Description = "Self-service teams, environments and access tokens. Errors are RFC 9457 problem details; "
                              + "POST honours Idempotency-Key; PATCH, PUT and DELETE honour If-Match with the ETag of your last read.",
            });
            o.DocInclusionPredicate((_, description) =>
                description.RelativePath?.StartsWith(PortalApi.RoutePrefix.TrimStart('/'), StringComparison.OrdinalIgnoreCase) == true);
            o.CustomSchemaIds(SchemaId);
            o.OperationFilter<Idempotency.IdempotencyKeyOperationFilter>();
            // Free-form JSON (add-on values, merge patches) is any JSON to clients, not JsonNode's .NET properties.
            o.MapType<JsonNode>(() => new OpenApiSchema());
            o.MapType<JsonObject>(() => new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalPropertiesAllowed = true });
            o.SupportNonNullableReferenceTypes();
            o.NonNullableReferenceTypesAsRequired();
            o.AddSecurityDefinition(AccessTokenSecurity, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "ucp_pat_…",
                Description = "A portal access token (create one at POST /api/v1/tokens or in the web UI), sent as 'Authorization: Bearer ucp_pat_…'.",
            });
            o.AddSecurityDefinition(OidcSecurity, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An access token (JWT) from the portal's OpenID Connect authority, with the API audience ("
                              + ApiAuthentication.DefaultAudience + " unless configured otherwise).",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(AccessTokenSecurity, document)] = [],
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(OidcSecurity, document)] = [],
            });
        });
        return services;
    }

    public static void UsePortalOpenApi(this IApplicationBuilder app)
    {
        app.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = UiPath;
            o.DocumentTitle = "Unicron Portal API";
            o.SwaggerEndpoint(DocumentPath, "Unicron Portal API v1");
        });
    }

    /// <summary>Generic contracts get readable names (TeamResponsePage rather than PageResponse`1).</summary>
    private static string SchemaId(Type type) => type.IsGenericType
        ? string.Concat(type.GetGenericArguments().Select(SchemaId)) + type.Name[..type.Name.IndexOf('`')].Replace("Response", "")
        : type.Name;
}
