using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Portal.Emulator;

/// <summary>
/// Where the emulator listens once Kestrel has bound its ports (port 0 resolved), and so which base URL the
/// clusters' Kubernetes endpoints are built on.
/// </summary>
public sealed class EmulatorAddresses(IServer server, EmulatorOptions options)
{
    private const string DefaultHttpUrl = "http://127.0.0.1:4566";

    /// <summary>The first plain-HTTP address (what the AWS CLI and SDKs get as <c>--endpoint-url</c>), null when none.</summary>
    public Uri? Http => Find(Uri.UriSchemeHttp);

    /// <summary>The HTTPS address, with a loopback host the server certificate names; null when HTTPS is off.</summary>
    public Uri? Https => Find(Uri.UriSchemeHttps);

    /// <summary>
    /// What DescribeCluster's <c>endpoint</c> is built on: <see cref="EmulatorOptions.PublicBaseUrl"/>, else the HTTPS
    /// listener (kubectl sends no bearer token to an http:// server), else the scheme and host the request arrived on.
    /// </summary>
    public string KubernetesBaseUrl(HttpRequest? request) =>
        !string.IsNullOrEmpty(options.PublicBaseUrl) ? options.PublicBaseUrl.TrimEnd('/')
        : Https is { } https ? https.GetLeftPart(UriPartial.Authority)
        : request is not null ? $"{request.Scheme}://{request.Host}"
        : (Http ?? new Uri(DefaultHttpUrl)).GetLeftPart(UriPartial.Authority);

    private Uri? Find(string scheme)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(BindingAddress.Parse)
            .FirstOrDefault(a => a.Scheme == scheme);
        return address is null ? null : new UriBuilder(scheme, ClientHost(address.Host), address.Port).Uri;
    }

    /// <summary>The host a client on this machine dials: wildcards and <c>localhost</c> become 127.0.0.1, as the endpoints advertise.</summary>
    private static string ClientHost(string host) =>
        host is "localhost" or "*" or "+" or "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : host;

    /// <summary>
    /// The URLs to listen on: the configured ones plus, when <see cref="EmulatorOptions.Https"/> is on and none of them
    /// is https, an HTTPS listener on loopback — at <see cref="EmulatorOptions.HttpsPort"/>, or next to the first HTTP
    /// port (4567 beside LocalStack's 4566, so kubeconfigs survive restarts), or a free port when that one is free too.
    /// </summary>
    public static IReadOnlyList<string> ListenUrls(IReadOnlyList<string> configured, EmulatorOptions options)
    {
        var urls = configured.Count > 0 ? configured : [DefaultHttpUrl];
        if (!options.Https || urls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase))) return urls;
        var httpPort = BindingAddress.Parse(urls[0]).Port;
        var port = options.HttpsPort ?? (httpPort is > 0 and < 65535 ? httpPort + 1 : 0);
        // Kestrel binds "localhost" to both 127.0.0.1 and ::1 (both named by the certificate), but only on a fixed port.
        return [.. urls, port == 0 ? "https://127.0.0.1:0" : $"https://localhost:{port}"];
    }
}
