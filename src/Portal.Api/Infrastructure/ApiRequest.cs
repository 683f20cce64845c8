using Microsoft.AspNetCore.Http;
using Portal.Core.Access;

namespace Portal.Api.Infrastructure;

public static class ApiRequest
{
    /// <summary>
    /// The caller as the services expect it. The API policy guarantees a portal principal on every route, so a
    /// missing one is a wiring bug, not a client error.
    /// </summary>
    public static PortalActor Actor(this HttpContext http) =>
        PortalActor.FromPrincipal(http.User, http.Connection.RemoteIpAddress?.ToString())
        ?? throw new InvalidOperationException("The API route was reached without a portal principal; is the PortalApi policy applied?");

    public static bool IsApiRequest(this HttpRequest request) =>
        request.Path.StartsWithSegments(PortalApi.RoutePrefix, StringComparison.OrdinalIgnoreCase);
}
