using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Api.Infrastructure;
using Portal.Core.Common;
using Portal.Core.Idempotency;
using Portal.Core.Persistence;

namespace Portal.Api.Idempotency;

/// <summary>
/// Honours <c>Idempotency-Key</c> on every POST of the API group. The first request claims the key by inserting a
/// pending record under the unique (caller, key) index; concurrent duplicates lose that race and wait for the first
/// answer, so a burst of retries creates exactly one resource. A successful (2xx) answer is stored and replayed
/// byte for byte (status, body, Location, ETag); a failed one releases the key so the caller can retry. The same key
/// with a different request is 422.
/// </summary>
/// <remarks>
/// The request is compared by method, path, query and the bound body re-serialized: two bodies that mean the same
/// (other whitespace or property order) are the same request.
/// </remarks>
public sealed class IdempotencyFilter(
    IDbContextFactory<PortalDbContext> contexts,
    IOptions<JsonOptions> json,
    TimeProvider clock,
    ILogger<IdempotencyFilter> logger) : IEndpointFilter
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    private static readonly TimeSpan WaitForFirst = TimeSpan.FromSeconds(30);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.Headers.TryGetValue(HeaderName, out var values))
            return await next(context);
        var key = values.ToString();
        if (key.Length is 0 or > MaxKeyLength || key.Any(char.IsControl))
            throw new DomainValidationException(HeaderName, $"must be 1 to {MaxKeyLength} printable characters (a UUID is a good key).");

        var scope = http.Actor().UserId.ToString();
        var hash = RequestHash(context);
        var ct = http.RequestAborted;

        var claimed = await ClaimOrFindAsync(scope, key, hash, ct);
        if (claimed.Existing is { } done)
        {
            await ReplayAsync(http, done);
            return Results.Empty;
        }

        var record = claimed.Claimed!;
        object? result;
        try
        {
            result = await next(context);
        }
        catch
        {
            await ReleaseAsync(record.Id);
            throw;
        }
        if (result is not IResult executable)
        {
            await ReleaseAsync(record.Id);
            return result;
        }

        // Run the result into a buffer so the exact bytes can be stored before the caller (or a retry) sees them.
        var body = await ExecuteBufferedAsync(http, executable);
        var response = http.Response;
        if (response.StatusCode is >= 200 and < 300)
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            await db.IdempotencyRecords.Where(r => r.Id == record.Id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.CompletedAt, clock.GetUtcNow())
                .SetProperty(r => r.StatusCode, response.StatusCode)
                .SetProperty(r => r.Location, response.Headers.Location.ToString() is { Length: > 0 } l ? l : null)
                .SetProperty(r => r.ETag, response.Headers.ETag.ToString() is { Length: > 0 } e ? e : null)
                .SetProperty(r => r.ContentType, response.ContentType)
                .SetProperty(r => r.Body, Redact(http, body)), CancellationToken.None);
        }
        else
        {
            await ReleaseAsync(record.Id);
        }
        await response.Body.WriteAsync(body, ct);
        return Results.Empty;
    }

    private sealed record Claim(IdempotencyRecord? Claimed, IdempotencyRecord? Existing);

    private async Task<Claim> ClaimOrFindAsync(string scope, string key, string hash, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + WaitForFirst;
        while (true)
        {
            var now = clock.GetUtcNow();
            await using var db = await contexts.CreateDbContextAsync(ct);
            var record = new IdempotencyRecord { Scope = scope, Key = key, RequestHash = hash, CreatedAt = now, ExpiresAtUnixMs = (now + Retention).ToUnixTimeMilliseconds() };
            db.IdempotencyRecords.Add(record);
            try
            {
                await db.SaveChangesAsync(ct);
                return new Claim(record, null);
            }
            catch (DbUpdateException e) when (SaveChangesExtensions.IsUniqueViolation(e))
            {
                db.ChangeTracker.Clear();
            }

            var existing = await db.IdempotencyRecords.AsNoTracking().FirstOrDefaultAsync(r => r.Scope == scope && r.Key == key, ct);
            if (existing is null) continue; // released between our insert and read: try to claim it again
            if (existing.ExpiresAtUnixMs <= now.ToUnixTimeMilliseconds())
            {
                await db.IdempotencyRecords.Where(r => r.Id == existing.Id).ExecuteDeleteAsync(ct);
                continue;
            }
            if (existing.RequestHash != hash) throw new IdempotencyKeyReusedException();
            if (existing.CompletedAt is not null) return new Claim(null, existing);
            if (clock.GetUtcNow() > deadline)
                throw new ConflictException("A request with this Idempotency-Key is still being processed; retry it in a moment.");
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }
    }

    /// <summary>Frees the key after a failure; never fails the request itself.</summary>
    private async Task ReleaseAsync(Guid id)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            await db.IdempotencyRecords.Where(r => r.Id == id).ExecuteDeleteAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not release idempotency record {Id}; it expires after {Retention}.", id, Retention);
        }
    }

    private static async Task<byte[]> ExecuteBufferedAsync(HttpContext http, IResult result)
    {
        var original = http.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(buffer));
        try
        {
            await result.ExecuteAsync(http);
            await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
        }
        finally
        {
            http.Features.Set(original);
        }
        return buffer.ToArray();
    }

    private static async Task ReplayAsync(HttpContext http, IdempotencyRecord record)
    {
        var response = http.Response;
        response.StatusCode = record.StatusCode;
        if (record.Location is not null) response.Headers.Location = record.Location;
        if (record.ETag is not null) response.Headers.ETag = record.ETag;
        if (record.ContentType is not null) response.ContentType = record.ContentType;
        response.Headers[ReplayedHeader] = "true";
        await response.Body.WriteAsync(record.Body, http.RequestAborted);
    }

    private static byte[] Redact(HttpContext http, byte[] body)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<RedactOnReplay>() is not { } redact || body.Length == 0) return body;
        if (JsonNode.Parse(body) is not JsonObject json) return body;
        foreach (var property in redact.Properties)
            if (json.ContainsKey(property)) json[property] = null;
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private string RequestHash(EndpointFilterInvocationContext context)
    {
        var request = context.HttpContext.Request;
        var bodyTypes = context.HttpContext.GetEndpoint()?.Metadata.GetOrderedMetadata<IAcceptsMetadata>()
            .Select(m => m.RequestType).OfType<Type>().ToHashSet() ?? [];
        var text = new StringBuilder()
            .Append(request.Method).Append(' ').Append(request.Path.Value).Append(request.QueryString.Value).Append('\n');
        foreach (var argument in context.Arguments)
            if (argument is not null && bodyTypes.Contains(argument.GetType()))
                text.Append(JsonSerializer.Serialize(argument, argument.GetType(), json.Value.SerializerOptions)).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
