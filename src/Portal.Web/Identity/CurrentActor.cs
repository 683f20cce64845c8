using Microsoft.AspNetCore.Components.Authorization;
using Portal.Core.Access;

namespace Portal.Web.Identity;

/// <summary>
/// The signed-in person as a <see cref="PortalActor"/>, for components: they pass it to Core services, which decide
/// access. Scoped to the circuit. The client address is captured from the first HTTP request of the circuit
/// (HttpContext is not reliable once the circuit is interactive).
/// </summary>
public sealed class CurrentActor(AuthenticationStateProvider authentication, IHttpContextAccessor http)
{
    /// <summary>Read when the circuit starts, while the connection's HttpContext is still at hand.</summary>
    public string? ClientAddress { get; set; } = http.HttpContext?.Connection.RemoteIpAddress?.ToString();

    /// <summary>The actor, or null when nobody is signed in (pages behind [Authorize] never see null).</summary>
    public async Task<PortalActor?> GetAsync()
    {
        var state = await authentication.GetAuthenticationStateAsync();
        return PortalActor.FromPrincipal(state.User, ClientAddress);
    }

    /// <summary>The actor of a page that requires sign-in.</summary>
    public async Task<PortalActor> RequireAsync() =>
        await GetAsync() ?? throw new InvalidOperationException("This page requires a signed-in user.");
}
