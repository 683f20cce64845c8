using System.Text;

namespace Portal.Core.Common;

/// <summary>A page of a stable-ordered list; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Opaque cursors for keyset pagination: the cursor carries the sort key of the last item served, so pages stay
/// stable while rows are inserted, and the database seeks instead of counting an OFFSET.
/// </summary>
public static class Cursor
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static string Encode(string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(lastKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The key inside a cursor; a cursor that is not ours is a validation error on <paramref name="field"/>.</summary>
    public static string? Decode(string? cursor, string field = "cursor")
    {
        if (string.IsNullOrEmpty(cursor)) return null;
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw new DomainValidationException(field, "is not a cursor this API issued; use the 'next' link of the previous page.");
        }
    }

    public static int ClampLimit(int? limit, string field = "limit")
    {
        if (limit is null) return DefaultLimit;
        if (limit < 1 || limit > MaxLimit)
            throw new DomainValidationException(field, $"must be between 1 and {MaxLimit}.");
        return limit.Value;
    }

    /// <summary>Builds a page from items fetched with limit + 1, the extra one telling whether a next page exists.</summary>
    public static Page<T> ToPage<T>(List<T> fetched, int limit, Func<T, string> key)
    {
        if (fetched.Count <= limit) return new Page<T>(fetched, null);
        fetched.RemoveAt(fetched.Count - 1);
        return new Page<T>(fetched, Encode(key(fetched[^1])));
    }
}
