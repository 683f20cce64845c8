using System.Globalization;

namespace Portal.Core.Addons.Catalog;

/// <summary>
/// Version ranges of add-on requirements: space-separated comparators (<c>&gt;= &gt; &lt;= &lt; =</c>, a bare version
/// meaning <c>=</c>) that must all hold, or <c>*</c> for any version. Versions compare semver-ish: numeric dotted parts
/// (missing parts are 0), a leading "v" ignored, a pre-release ("1.2.0-rc.1") below its release.
/// </summary>
public static class VersionRange
{
    private static readonly string[] Operators = [">=", "<=", ">", "<", "="];

    public static bool IsValid(string range) => TryParse(range, out _);

    /// <summary>True when <paramref name="version"/> is in <paramref name="range"/>; false for an invalid range or version.</summary>
    public static bool Satisfies(string range, string version)
    {
        if (!TryParse(range, out var comparators) || !SemVer.TryParse(version, out var v)) return false;
        return comparators.All(c => c.Op switch
        {
            ">=" => v.CompareTo(c.Version) >= 0,
            ">" => v.CompareTo(c.Version) > 0,
            "<=" => v.CompareTo(c.Version) <= 0,
            "<" => v.CompareTo(c.Version) < 0,
            _ => v.CompareTo(c.Version) == 0,
        });
    }

    /// <summary>Orders version strings (newest last); unparsable ones sort first, by ordinal text.</summary>
    public static int Compare(string a, string b)
    {
        var okA = SemVer.TryParse(a, out var va);
        var okB = SemVer.TryParse(b, out var vb);
        if (okA && okB) return va.CompareTo(vb);
        if (okA != okB) return okA ? 1 : -1;
        return string.CompareOrdinal(a, b);
    }

    /// <summary>True when the text is a version this class can compare ("1.2.3", "v2.20.2", "26.03", "1.0.0-rc.1").</summary>
    public static bool IsVersion(string version) => SemVer.TryParse(version, out _);

    private readonly record struct Comparator(string Op, SemVer Version);

    private static bool TryParse(string? range, out List<Comparator> comparators)
    {
        comparators = [];
        if (string.IsNullOrWhiteSpace(range)) return false;
        var terms = range.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (terms is ["*"]) return true;
        foreach (var term in terms)
        {
            var op = Operators.FirstOrDefault(term.StartsWith) ?? "=";
            var text = term.StartsWith(op, StringComparison.Ordinal) ? term[op.Length..] : term;
            if (!SemVer.TryParse(text, out var version)) return false;
            comparators.Add(new Comparator(op, version));
        }
        return true;
    }

    private readonly record struct SemVer(long[] Parts, string[] PreRelease) : IComparable<SemVer>
    {
        public static bool TryParse(string? text, out SemVer version)
        {
            version = default;
            if (string.IsNullOrWhiteSpace(text)) return false;
            var s = text.Trim();
            if (s.StartsWith('v') || s.StartsWith('V')) s = s[1..];
            var plus = s.IndexOf('+');
            if (plus >= 0) s = s[..plus]; // build metadata never orders versions
            var dash = s.IndexOf('-');
            var core = dash >= 0 ? s[..dash] : s;
            string[] pre = dash >= 0 ? s[(dash + 1)..].Split('.') : [];
            if (pre.Any(string.IsNullOrEmpty)) return false;
            var parts = new List<long>();
            foreach (var part in core.Split('.'))
            {
                if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
                parts.Add(n);
            }
            version = new SemVer([.. parts], pre);
            return true;
        }

        public int CompareTo(SemVer other)
        {
            for (var i = 0; i < Math.Max(Parts.Length, other.Parts.Length); i++)
            {
                var c = Part(Parts, i).CompareTo(Part(other.Parts, i));
                if (c != 0) return c;
            }
            // A release outranks any of its pre-releases (semver §11).
            if (PreRelease.Length == 0 && other.PreRelease.Length == 0) return 0;
            if (PreRelease.Length == 0) return 1;
            if (other.PreRelease.Length == 0) return -1;
            for (var i = 0; i < Math.Min(PreRelease.Length, other.PreRelease.Length); i++)
            {
                var a = PreRelease[i];
                var b = other.PreRelease[i];
                var numA = long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var na);
                var numB = long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var nb);
                var c = (numA, numB) switch
                {
                    (true, true) => na.CompareTo(nb),
                    (true, false) => -1,
                    (false, true) => 1,
                    _ => string.CompareOrdinal(a, b),
                };
                if (c != 0) return Math.Sign(c);
            }
            return PreRelease.Length.CompareTo(other.PreRelease.Length);
        }

        private static long Part(long[] parts, int i) => i < parts.Length ? parts[i] : 0;
    }
}
