using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Tokens;

/// <summary>Section <c>Tokens</c>.</summary>
public sealed class TokenOptions
{
    public const string SectionName = "Tokens";

    /// <summary>The longest lifetime anyone may give a token.</summary>
    [Range(1, 3650)]
    public int MaxLifetimeDays { get; set; } = 90;

    /// <summary>Used when a request names no expiry.</summary>
    [Range(1, 3650)]
    public int DefaultLifetimeDays { get; set; } = 30;

    /// <summary>Last-used is written at most this often per token, so busy scripts do not turn every read into a write.</summary>
    [Range(0, 86400)]
    public int LastUsedGranularitySeconds { get; set; } = (int)TokenService.LastUsedGranularity.TotalSeconds;

    /// <summary>
    /// How long a verified token is trusted without asking the database again (0: never cached). Revoking a token
    /// drops it from this process's cache at once; other portal processes notice within this time.
    /// </summary>
    [Range(0, 300)]
    public int AuthenticationCacheSeconds { get; set; } = 10;
}
