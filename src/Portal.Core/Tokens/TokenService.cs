using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Common;
using Portal.Core.Persistence;
using Portal.Core.Users;

namespace Portal.Core.Tokens;

public sealed record NewToken(string Name, TokenScopes Scopes, DateTimeOffset? ExpiresAt);

/// <summary>A created token and its secret: the only time the secret exists outside the caller's hands.</summary>
public sealed record CreatedToken(ApiToken Token, string Secret);

/// <summary>Personal access tokens for scripts: created, listed and revoked by their owner, verified per API call.</summary>
public sealed class TokenService(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<TokenOptions> options,
    TimeProvider clock)
{
    /// <summary>
    /// Every secret starts with this, so secret scanners (and people) recognise a leaked portal token.
    /// "ucp" = Unicron portal; "pat" = personal access token.
    /// </summary>
    public const string SecretPrefix = "ucp_pat_";

    /// <summary>The default of <see cref="TokenOptions.LastUsedGranularitySeconds"/>.</summary>
    public static readonly TimeSpan LastUsedGranularity = TimeSpan.FromMinutes(1);

    /// <summary>Beyond this many cached tokens the cache starts over: a bound on memory, not an eviction policy.</summary>
    private const int MaxCachedTokens = 10_000;

    /// <summary>
    /// Tokens verified in the last <see cref="TokenOptions.AuthenticationCacheSeconds"/>, by secret hash: a busy script
    /// costs one look-up per few seconds instead of one per call. Only hashes are keys, never secrets.
    /// </summary>
    private readonly ConcurrentDictionary<string, VerifiedToken> _verified = new(StringComparer.Ordinal);

    private sealed record VerifiedToken(ApiToken Token, User User, DateTimeOffset VerifiedAt);

    public async Task<Page<ApiToken>> ListAsync(PortalActor actor, string? cursor, int? limit, CancellationToken ct)
    {
        TeamAccess.RequireScope(actor, TokenScopes.Read);
        var take = Cursor.ClampLimit(limit);
        var after = Cursor.Decode(cursor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var tokens = db.ApiTokens.AsNoTracking().Where(t => t.UserId == actor.UserId);
        if (after is not null)
        {
            if (!Guid.TryParse(after, out var afterId)) throw new DomainValidationException("cursor", "is not a cursor this API issued.");
            tokens = tokens.Where(t => t.Id.CompareTo(afterId) > 0);
        }
        var rows = await tokens.OrderBy(t => t.Id).Take(take + 1).ToListAsync(ct);
        return Cursor.ToPage(rows, take, t => t.Id.ToString());
    }

    public async Task<ApiToken> GetAsync(PortalActor actor, Guid id, CancellationToken ct)
    {
        TeamAccess.RequireScope(actor, TokenScopes.Read);
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id && (t.UserId == actor.UserId || actor.IsPlatformAdmin), ct)
               ?? throw new NotFoundException("Token", id.ToString());
    }

    /// <summary>
    /// Creates a token for the actor. A token can only mint tokens with scopes it has itself, so a leaked read token
    /// cannot escalate; the admin scope needs a platform admin.
    /// </summary>
    public async Task<CreatedToken> CreateAsync(PortalActor actor, NewToken request, CancellationToken ct)
    {
        TeamAccess.RequireScope(actor, TokenScopes.Write);
        var now = clock.GetUtcNow();
        var errors = new ValidationErrors();
        errors.CheckText("name", request.Name, ApiToken.NameMaxLength, required: true);
        if (request.Scopes == TokenScopes.None || (request.Scopes & ~PortalActor.AllScopes) != 0)
            errors.Add("scopes", "must name at least one of read, write, admin.");
        // Compared with what the token may do (write implies read), so a write token can mint a narrower read token.
        else if (actor.TokenId is not null && Enum.GetValues<TokenScopes>().Any(s => s != TokenScopes.None && request.Scopes.HasFlag(s) && !actor.HasScope(s)))
            errors.Add("scopes", "a token can only create tokens with scopes it has itself.");
        else if (request.Scopes.HasFlag(TokenScopes.Admin) && !actor.IsPlatformAdmin)
            errors.Add("scopes", "the admin scope is only for platform admins.");
        var max = now.AddDays(options.Value.MaxLifetimeDays);
        if (request.ExpiresAt is { } expires && expires <= now) errors.Add("expiresAt", "must be in the future.");
        else if (request.ExpiresAt > max) errors.Add("expiresAt", $"must be at most {options.Value.MaxLifetimeDays} days from now ({max:yyyy-MM-dd}).");
        errors.ThrowIfAny();

        await using var db = await contexts.CreateDbContextAsync(ct);
        // PostgreSQL stores UTC only; callers may send any offset.
        var expiresAt = request.ExpiresAt?.ToUniversalTime() ?? now.AddDays(options.Value.DefaultLifetimeDays);
        var created = Mint(request.Name.Trim(), actor.UserId, request.Scopes, expiresAt, now);
        db.ApiTokens.Add(created.Token);
        AuditLog.Record(db, actor, now, "token.create", "token", created.Token.Id.ToString(), null, null, Snapshot(created.Token));
        await db.SaveOrConflictAsync("Token", ct);
        return created;
    }

    /// <summary>For operators and the first start: a token for a user named by OIDC subject, created by the system.</summary>
    public async Task<CreatedToken> CreateForSubjectAsync(string subject, string name, TokenScopes scopes, int lifetimeDays, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Subject == subject, ct)
                   ?? throw new NotFoundException("User with subject", subject);
        var errors = new ValidationErrors();
        if (scopes == TokenScopes.None || (scopes & ~PortalActor.AllScopes) != 0)
            errors.Add("scopes", "must name at least one of read, write, admin.");
        else if (scopes.HasFlag(TokenScopes.Admin) && !user.IsPlatformAdmin)
            errors.Add("scopes", $"{user.Email} is not a platform admin, so cannot hold the admin scope.");
        // Operators' tokens obey the same ceiling as everyone's: a forgotten ten-year token is a standing risk.
        if (lifetimeDays < 1 || lifetimeDays > options.Value.MaxLifetimeDays)
            errors.Add("lifetimeDays", $"must be between 1 and {options.Value.MaxLifetimeDays}.");
        errors.ThrowIfAny();
        var now = clock.GetUtcNow();
        var created = Mint(name, user.Id, scopes, now.AddDays(lifetimeDays), now);
        db.ApiTokens.Add(created.Token);
        AuditLog.Record(db, PortalActor.System, now, "token.create", "token", created.Token.Id.ToString(), null, null, Snapshot(created.Token));
        await db.SaveOrConflictAsync("Token", ct);
        return created;
    }

    public async Task<ApiToken> RevokeAsync(PortalActor actor, Guid id, CancellationToken ct)
    {
        TeamAccess.RequireScope(actor, TokenScopes.Write);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id && (t.UserId == actor.UserId || actor.IsPlatformAdmin), ct)
                    ?? throw new NotFoundException("Token", id.ToString());
        if (token.RevokedAt is not null) return token;
        var before = Snapshot(token);
        token.RevokedAt = clock.GetUtcNow();
        AuditLog.Record(db, actor, token.RevokedAt.Value, "token.revoke", "token", token.Id.ToString(), null, before, Snapshot(token));
        await db.SaveOrConflictAsync("Token", ct);
        _verified.TryRemove(token.SecretHash, out _);
        return token;
    }

    /// <summary>
    /// The token and its user for a presented secret, or null when it is unknown, revoked or expired. Looks up by
    /// hash only (the secret is never stored) and records when it was last used.
    /// </summary>
    public async Task<(ApiToken Token, User User)?> AuthenticateAsync(string secret, CancellationToken ct)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal) || secret.Length > 200) return null;
        var hash = Hash(secret);
        var now = clock.GetUtcNow();
        var cacheFor = TimeSpan.FromSeconds(options.Value.AuthenticationCacheSeconds);
        if (_verified.TryGetValue(hash, out var verified))
        {
            // Expiry is checked on every call; a stale entry (or one whose last-use is due) goes back to the database.
            if (now - verified.VerifiedAt < cacheFor && verified.Token.ExpiresAt > now && !LastUseDue(verified.Token, now))
                return (verified.Token, verified.User);
            _verified.TryRemove(hash, out _);
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.AsNoTracking().Include(t => t.User).FirstOrDefaultAsync(t => t.SecretHash == hash, ct);
        if (token is null || token.RevokedAt is not null || token.ExpiresAt <= now) return null;
        if (LastUseDue(token, now))
        {
            // A plain UPDATE without the concurrency token: last-used is bookkeeping and must never fail a request.
            await db.ApiTokens.Where(t => t.Id == token.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
            token.LastUsedAt = now;
        }
        if (cacheFor > TimeSpan.Zero)
        {
            if (_verified.Count >= MaxCachedTokens) _verified.Clear();
            _verified[hash] = new VerifiedToken(token, token.User!, now);
        }
        return (token, token.User!);
    }

    private bool LastUseDue(ApiToken token, DateTimeOffset now) =>
        token.LastUsedAt is null || now - token.LastUsedAt >= TimeSpan.FromSeconds(options.Value.LastUsedGranularitySeconds);

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static CreatedToken Mint(string name, Guid userId, TokenScopes scopes, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        // 32 random bytes, base64url: 256 bits of entropy, URL- and header-safe.
        var secret = SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = new ApiToken
        {
            Name = name,
            UserId = userId,
            Scopes = scopes,
            SecretHash = Hash(secret),
            SecretHint = secret[..(SecretPrefix.Length + 4)] + "…",
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        return new CreatedToken(token, secret);
    }

    private static object Snapshot(ApiToken t) => new
    {
        id = t.Id, name = t.Name, scopes = t.Scopes.ToString(), expiresAt = t.ExpiresAt, revokedAt = t.RevokedAt, hint = t.SecretHint,
    };
}
