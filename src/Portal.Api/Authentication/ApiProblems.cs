using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Portal.Api.Infrastructure;

namespace Portal.Api.Authentication;

/// <summary>401 and 403 for scripts: a problem body and a Bearer challenge, never a redirect to a login page.</summary>
internal static class ApiProblems
{
    public static async Task WriteUnauthorizedAsync(HttpContext http, string? failure)
    {
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = failure is null
            ? "Bearer realm=\"unicron-portal\""
            : "Bearer realm=\"unicron-portal\", error=\"invalid_token\"";
        await WriteAsync(http, StatusCodes.Status401Unauthorized, "Unauthorized",
            failure ?? "This API needs 'Authorization: Bearer <token>' with a portal access token (ucp_pat_...) or an OIDC access token.");
    }

    public static Task WriteForbiddenAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteAsync(http, StatusCodes.Status403Forbidden, "Forbidden", "You are signed in but may not do this.");
    }

    private static async Task WriteAsync(HttpContext http, int status, string title, string detail)
    {
        await ProblemDetailsExceptionHandler.WriteAsync(http, new ProblemDetails { Status = status, Title = title, Detail = detail });
    }
}
