using System.Text.RegularExpressions;

namespace Portal.Core.Common;

/// <summary>Kubernetes-style names: DNS-1123 labels, which also make safe URL segments and AWS tag values.</summary>
public static partial class Slugs
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    /// <summary>The problem with <paramref name="value"/> as a DNS-1123 label of the given length, or null when it is fine.</summary>
    public static string? Check(string? value, int minLength, int maxLength)
    {
        if (string.IsNullOrEmpty(value)) return "is required.";
        if (value.Length < minLength || value.Length > maxLength)
            return $"must be {minLength} to {maxLength} characters long (got {value.Length}).";
        if (!Dns1123Label().IsMatch(value))
            return "must consist of lower-case letters, digits and '-', and start and end with a letter or digit (a DNS-1123 label).";
        return null;
    }
}
