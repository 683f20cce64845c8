using System.Text;

namespace Portal.Core.Costs.Budgets;

/// <summary>
/// Webhook URLs often carry the receiver's credentials (<c>user:password@</c>, <c>?token=</c>). They are stored as
/// given, since delivery needs them, but answered, logged and audited only with those parts masked.
/// </summary>
public static class WebhookUrls
{
    public const string Mask = "***";

    /// <summary>The URL with its user info, query values and fragment masked; unchanged when it has none of them.</summary>
    public static string? Redact(string? url)
    {
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri)) return url;
        if (uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0) return url;
        var text = new StringBuilder(uri.Scheme).Append("://");
        if (uri.UserInfo.Length > 0) text.Append(Mask).Append('@');
        text.Append(uri.Authority).Append(uri.AbsolutePath);
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
}
