using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Persistence;

namespace Portal.Web.Identity;

/// <summary>
/// A Blazor circuit keeps the principal it started with; this re-checks it every few minutes so a removed user or a
/// revoked admin flag takes effect in open tabs, not only on the next page load.
/// </summary>
public sealed class RevalidatingPortalAuthenticationStateProvider(
    ILoggerFactory loggerFactory,
    IDbContextFactory<PortalDbContext> contexts) : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(5);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        if (!Guid.TryParse(state.User.FindFirstValue(PortalActor.ClaimTypes.UserId), out var userId)) return false;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.IsPlatformAdmin }).FirstOrDefaultAsync(ct);
        return user is not null && user.IsPlatformAdmin == state.User.HasClaim(PortalActor.ClaimTypes.PlatformAdmin, "true");
    }
}
