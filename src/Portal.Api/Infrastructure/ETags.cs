using System.Globalization;
using Microsoft.AspNetCore.Http;
using Portal.Core.Common;

namespace Portal.Api.Infrastructure;

/// <summary>A response for one versioned resource: <see cref="ETagFilter"/> turns its version into the ETag header.</summary>
public interface IVersionedResponse
{
    long Version { get; }
}

/// <summary>ETags are the row's optimistic-concurrency version, quoted: <c>"3"</c>.</summary>
public static class ETags
{
    public const string IfMatchHeader = "If-Match";

    public static string Format(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>
    /// The version an <c>If-Match</c> header demands, for the services' <c>expectedVersion</c>: null when absent or
    /// <c>*</c>. A value that is not one of our ETags can never match, so it becomes a version no row has (412).
    /// </summary>
    public static long? ParseIfMatch(string? ifMatch)
    {
        if (string.IsNullOrWhiteSpace(ifMatch)) return null;
        var value = ifMatch.Trim();
        if (value == "*") return null;
        if (value.Contains(','))
            throw new DomainValidationException(IfMatchHeader, "must name exactly one ETag (the one from your last read).");
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        value = value.Trim('"');
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : -1;
    }
}

/// <summary>Sets <c>ETag</c> on every response that carries one versioned resource, so endpoints never forget it.</summary>
public sealed class ETagFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        if (result is IValueHttpResult { Value: IVersionedResponse versioned })
            context.HttpContext.Response.Headers.ETag = ETags.Format(versioned.Version);
        return result;
    }
}
