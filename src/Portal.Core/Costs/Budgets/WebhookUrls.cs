using System.Text;

namespace Portal.Core.Costs.Budgets;

/// <summary>
/// Webhook URLs often carry the receiver's credentials: <c>user:password@</c>, <c>?token=</c>, or the path itself
/// (Slack's <c>/services/T…/B…/secret</c>, Discord's <c>/api/webhooks/id/token</c>, Microsoft Teams'
/// <c>/webhookb2/…</c>). They are stored as given, since delivery needs them, but answered, logged and audited only
/// with those parts masked.
/// </summary>
public static class WebhookUrls
{
    public const string Mask = "***";

    /// <summary>
    /// Receivers whose URL path is the credential: host (or, with a leading dot, host suffix) and how many leading path
    /// segments stay readable, enough to recognise the hook without being able to call it.
    /// </summary>
    private static readonly (string Host, int KeptSegments)[] PathSecretHosts =
    [
        ("hooks.slack.com", 2),          // /services/T000 / B000/XXXXXXXX
        ("discord.com", 3),              // /api/webhooks/123 / token
        ("discordapp.com", 3),
        (".discord.com", 3),             // ptb., canary.
        (".webhook.office.com", 1),      // /webhookb2 / guid@guid/IncomingWebhook/hex/guid/signature
        ("outlook.office.com", 1),       // /webhook / …
        ("outlook.office365.com", 1),
        ("hooks.zapier.com", 3),         // /hooks/catch/123 / abc
    ];

    /// <summary>A path segment this long, of token characters mixing letters and digits or cases, is treated as a credential.</summary>
    private const int CredentialLikeLength = 16;

    /// <summary>
    /// The URL with its user info, query values, fragment and secret-bearing path segments masked; unchanged when it has
    /// none of them. Known path-secret receivers keep only their leading segments; elsewhere any segment that looks
    /// like a generated token (long, mixing letters and digits or cases) is masked.
    /// </summary>
    public static string? Redact(string? url)
    {
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri)) return url;
        var path = RedactPath(uri.Host, uri.AbsolutePath);
        if (uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0 && path == uri.AbsolutePath) return url;
        var text = new StringBuilder(uri.Scheme).Append("://");
        if (uri.UserInfo.Length > 0) text.Append(Mask).Append('@');
        text.Append(uri.Authority).Append(path);
        if (uri.Query.Length > 1)
            text.Append('?').AppendJoin('&', uri.Query[1..].Split('&').Select(p => p.Split('=', 2) is [var name, _] ? $"{name}={Mask}" : Mask));
        if (uri.Fragment.Length > 0) text.Append('#').Append(Mask);
        return text.ToString();
    }

    /// <summary>
    /// The URL to store for a change: a client that read the budget and sends its masked URL back unchanged keeps the
    /// stored one (with its credentials), so a read-modify-write round trip never breaks delivery.
    /// </summary>
    public static string? Resolve(string? requested, string? stored) =>
        requested is not null && stored is not null && requested == Redact(stored) ? stored : requested;

    private static string RedactPath(string host, string path)
    {
        var segments = path.Split('/');
        // segments[0] is the empty string before the leading slash.
        if (KeptSegments(host) is { } kept)
        {
            return segments.Length - 1 > kept ? string.Join('/', segments.Take(kept + 1)) + "/" + Mask : path;
        }
        return segments.Any(IsCredentialLike) ? string.Join('/', segments.Select(s => IsCredentialLike(s) ? Mask : s)) : path;
    }

    private static int? KeptSegments(string host)
    {
        foreach (var (name, kept) in PathSecretHosts)
        {
            if (name.StartsWith('.') ? host.EndsWith(name, StringComparison.OrdinalIgnoreCase) : host.Equals(name, StringComparison.OrdinalIgnoreCase))
                return kept;
        }
        return null;
    }

    /// <summary>
    /// Generated secrets are long runs of letters and digits (Slack: 24 mixed-case characters, Discord: 68, GUIDs);
    /// readable path words ("budget-alerts", "IncomingWebhook") are shorter or of one kind of character.
    /// </summary>
    private static bool IsCredentialLike(string segment)
    {
        if (segment.Length < CredentialLikeLength) return false;
        bool lower = false, upper = false, digit = false;
        foreach (var c in segment)
        {
            if (char.IsAsciiLetterLower(c)) lower = true;
            else if (char.IsAsciiLetterUpper(c)) upper = true;
            else if (char.IsAsciiDigit(c)) digit = true;
            else if (c is not ('-' or '_' or '.' or '~' or '%' or '+' or '=' or '@')) return false;
        }
        return (lower ? 1 : 0) + (upper ? 1 : 0) + (digit ? 1 : 0) >= 2;
    }
}
