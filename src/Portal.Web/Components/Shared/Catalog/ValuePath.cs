using System.Globalization;
using System.Text;

namespace Portal.Web.Components.Shared.Catalog;

/// <summary>
/// A place in a values document: property names and array indexes. Its text is the JSON path the catalogue's
/// validation reports ("$.tracking.replicas", "$.extraArgs[0]", "$['app.kubernetes.io/name']"), so a problem finds
/// its field by comparing texts.
/// </summary>
public sealed class ValuePath : IEquatable<ValuePath>
{
    private readonly object[] _segments;

    private ValuePath(object[] segments)
    {
        _segments = segments;
        Text = Format(segments);
    }

    public static ValuePath Root { get; } = new([]);

    /// <summary>Each segment is a property name (string) or an array index (int).</summary>
    public IReadOnlyList<object> Segments => _segments;

    public string Text { get; }

    public bool IsRoot => _segments.Length == 0;

    public ValuePath Property(string name) => new([.. _segments, name]);

    public ValuePath Index(int index) => new([.. _segments, index]);

    public ValuePath? Parent => IsRoot ? null : new(_segments[..^1]);

    /// <summary>The path itself and every path above it, outermost first, not counting the root.</summary>
    public IEnumerable<ValuePath> SelfAndAncestors()
    {
        for (var length = 1; length <= _segments.Length; length++) yield return new(_segments[..length]);
    }

    /// <summary>
    /// Reads "$.a.b[0]", "$['a.b']", "$.a['b']" and JSON Pointers ("/a/b/0"): validators report one or the other.
    /// Null when the text is neither.
    /// </summary>
    public static ValuePath? Parse(string? text)
    {
        if (text is null) return null;
        text = text.Trim();
        if (text is "" or "$" or "/" or "#") return Root;
        if (text.StartsWith('/') || text.StartsWith("#/", StringComparison.Ordinal)) return FromPointer(text.TrimStart('#'));
        if (!text.StartsWith('$')) return null;

        var segments = new List<object>();
        var i = 1;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var start = ++i;
                while (i < text.Length && text[i] != '.' && text[i] != '[') i++;
                if (i == start) return null;
                segments.Add(text[start..i]);
            }
            else if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0) return null;
                var inner = text[(i + 1)..close];
                if (inner.Length >= 2 && inner[0] is '\'' or '"' && inner[^1] == inner[0])
                {
                    // A quoted name may itself contain ']': find the quote that closes it.
                    var quote = inner[0];
                    var end = text.IndexOf(quote + "]", i + 2, StringComparison.Ordinal);
                    if (end < 0) return null;
                    segments.Add(text[(i + 2)..end].Replace("\\'", "'").Replace("\\\"", "\""));
                    i = end + 2;
                    continue;
                }
                if (!int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) return null;
                segments.Add(index);
                i = close + 1;
            }
            else
            {
                return null;
            }
        }
        return new([.. segments]);
    }

    private static ValuePath FromPointer(string pointer) =>
        new(pointer.Split('/').Skip(1)
            .Select(s => s.Replace("~1", "/").Replace("~0", "~"))
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? (object)index : s)
            .ToArray());

    private static string Format(object[] segments)
    {
        var text = new StringBuilder("$");
        foreach (var segment in segments)
        {
            if (segment is int index) text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            else if (segment is string name && IsPlainName(name)) text.Append('.').Append(name);
            else text.Append("['").Append(((string)segment).Replace("'", "\\'")).Append("']");
        }
        return text.ToString();
    }

    private static bool IsPlainName(string name) =>
        name.Length > 0 && !char.IsDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    public bool Equals(ValuePath? other) => other is not null && Text == other.Text;

    public override bool Equals(object? obj) => Equals(obj as ValuePath);

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;
}
