using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using Portal.Core.Common;

namespace Portal.Api.Infrastructure;

/// <summary>One page of a list. <see cref="Next"/> is the root-relative URL of the following page, null on the last.</summary>
public sealed record PageResponse<T>(IReadOnlyList<T> Items, string? Next);

public static class Paging
{
    /// <summary>Maps a service page to the wire, with the next link in the body and in a <c>Link</c> header.</summary>
    public static PageResponse<TOut> ToResponse<TIn, TOut>(this Page<TIn> page, HttpContext http, Func<TIn, TOut> map)
    {
        var next = page.NextCursor is null ? null : NextLink(http.Request, page.NextCursor);
        if (next is not null) http.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        return new PageResponse<TOut>(page.Items.Select(map).ToList(), next);
    }

    /// <summary>
    /// Pages a short list a service returns whole (members, environments), by a unique sort key, with the same
    /// cursor format as the database-backed lists so clients need not tell them apart.
    /// </summary>
    public static Page<T> Slice<T>(IReadOnlyList<T> ordered, string? cursor, int? limit, Func<T, string> key)
    {
        var take = Cursor.ClampLimit(limit);
        var after = Cursor.Decode(cursor);
        var rest = after is null ? ordered : ordered.Where(item => string.CompareOrdinal(key(item), after) > 0).ToList();
        return Cursor.ToPage(rest.Take(take + 1).ToList(), take, key);
    }

    private static string NextLink(HttpRequest request, string cursor)
    {
        var query = QueryHelpers.ParseQuery(request.QueryString.Value);
        var builder = new QueryBuilder();
        foreach (var (name, values) in query)
            if (!name.Equals("cursor", StringComparison.OrdinalIgnoreCase))
                foreach (var value in values) builder.Add(name, value ?? "");
        builder.Add("cursor", cursor);
        return $"{request.PathBase}{request.Path}{builder.ToQueryString()}";
    }
}
