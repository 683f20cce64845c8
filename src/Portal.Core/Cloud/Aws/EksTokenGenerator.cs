using System.Collections.Concurrent;
using System.Text;
using Amazon;
using Amazon.Runtime.Signing;
using Microsoft.Extensions.Options;

namespace Portal.Core.Cloud.Aws;

/// <summary>
/// EKS bearer tokens, as <c>aws eks get-token</c> and aws-iam-authenticator make them: <c>k8s-aws-v1.</c> followed by
/// the unpadded base64url of a presigned STS GetCallerIdentity URL whose signed <c>x-k8s-aws-id</c> header names the
/// cluster. The cluster accepts a token for 15 minutes after its signing time; tokens are reused for up to
/// <see cref="ReuseFor"/> and never past the session's own expiry.
/// </summary>
public sealed class EksTokenGenerator(IOptions<CloudOptions> options, TimeProvider clock)
{
    /// <summary>How long one token is handed out: well inside the 15 minutes the cluster accepts it, so a slow request still arrives valid.</summary>
    public static readonly TimeSpan ReuseFor = TimeSpan.FromMinutes(10);

    // X-Amz-Expires as aws eks get-token writes it; aws-iam-authenticator ignores it and applies its own 15 minutes.
    private static readonly TimeSpan PresignExpiry = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<(string AccessKeyId, string Region, string Cluster), (string Token, DateTimeOffset ReuseUntil)> _cache = new();

    public string CreateToken(AwsSession session, string clusterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterName);
        var now = clock.GetUtcNow();
        var key = (session.Credentials.AccessKey, session.Region, clusterName);
        if (_cache.TryGetValue(key, out var cached) && now < cached.ReuseUntil) return cached.Token;

        var request = new AWSSigningRequest
        {
            HttpMethod = HttpMethod.Get,
            RequestUri = new Uri(options.Value.StsBaseAddress(session.Region), "?Action=GetCallerIdentity&Version=2011-06-15"),
        };
        request.Headers["x-k8s-aws-id"] = clusterName;
        var presigned = AWSSigV4Signer.Presign(request, new AWSSigV4Parameters
        {
            Credentials = session.ToAwsCredentials(),
            Region = RegionEndpoint.GetBySystemName(session.Region),
            Service = "sts",
            SignedAt = now.UtcDateTime,
        }, PresignExpiry);
        var token = "k8s-aws-v1." + Base64Url(presigned.Uri.ToString());

        var reuseUntil = now + ReuseFor;
        if (session.Expiration < reuseUntil) reuseUntil = session.Expiration;
        _cache[key] = (token, reuseUntil);
        // Assumed sessions rotate their key hourly; drop tokens of keys nobody can use any more.
        if (_cache.Count > 256)
        {
            foreach (var stale in _cache.Where(e => e.Value.ReuseUntil <= now).Select(e => e.Key).ToList()) _cache.TryRemove(stale, out _);
        }
        return token;
    }

    private static string Base64Url(string value) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
