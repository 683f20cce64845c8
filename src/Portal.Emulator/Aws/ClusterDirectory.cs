using System.Text;
using Portal.Emulator.Aws.Eks;
using Portal.Emulator.Aws.Identity;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Aws;

/// <summary>
/// What the Kubernetes half asks the AWS half: which cluster a key names, and whether an EKS bearer token proves a
/// caller for that cluster.
/// </summary>
public sealed class ClusterDirectory(EksService eks, SigV4Verifier verifier, EmulatorOptions options, TimeProvider clock) : IClusterDirectory
{
    public const string TokenPrefix = "k8s-aws-v1.";

    /// <summary>EKS tokens live 15 minutes from their X-Amz-Date, whatever X-Amz-Expires says, as aws-iam-authenticator enforces.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(15);

    public EmulatedCluster? FindByKey(string key) => eks.FindByKey(key) is { } c ? ToEmulated(c) : null;

    /// <summary>Every cluster, in every account (for the admin endpoints and the Kubernetes half's listings).</summary>
    public IReadOnlyList<EmulatedCluster> All() => eks.Snapshot().Select(ToEmulated).ToList();

    public (CallerIdentity? Caller, string? Error) VerifyEksToken(string token, string clusterName)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal)) return (null, $"token does not start with {TokenPrefix}");
        string decoded;
        try
        {
            var base64 = token[TokenPrefix.Length..].Replace('-', '+').Replace('_', '/');
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
        }
        catch (FormatException)
        {
            return (null, "token is not base64url");
        }
        if (!Uri.TryCreate(decoded, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            return (null, "token does not hold an absolute URL");
        }
        if (!IsStsHost(url)) return (null, $"unexpected STS host {url.Host}");
        var query = SigV4Verifier.ParseQuery(url.PathAndQuery);
        string? Param(string name) => query.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        if (Param("Action") != "GetCallerIdentity" || Param("Version") != "2011-06-15")
        {
            return (null, "token is not a presigned STS GetCallerIdentity request");
        }
        var signedHeaders = Param("X-Amz-SignedHeaders")?.Split(';') ?? [];
        if (!signedHeaders.Contains("x-k8s-aws-id")) return (null, "x-k8s-aws-id is not a signed header of the token");

        var (caller, failure) = verifier.VerifyPresignedUrl(url, new Dictionary<string, string> { ["x-k8s-aws-id"] = clusterName }, "sts", TokenLifetime, enforceExpiry: false);
        if (failure is not null)
        {
            return failure.Kind == AuthFailureKind.SignatureMismatch
                ? (null, $"signature does not match (the token must be signed for x-k8s-aws-id={clusterName}): {failure.Message}")
                : (null, failure.Message);
        }
        var signedAt = DateTimeOffset.ParseExact(Param("X-Amz-Date")!, "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal);
        var now = clock.GetUtcNow();
        if (now > signedAt + TokenLifetime) return (null, $"token expired at {signedAt + TokenLifetime:O}");
        if (signedAt > now + options.MaxClockSkew) return (null, "token is signed in the future");
        return (caller!.Identity, null);
    }

    private bool IsStsHost(Uri url) =>
        url.Host == "sts.amazonaws.com"
        || (url.Host.StartsWith("sts.", StringComparison.Ordinal) && url.Host.EndsWith(".amazonaws.com", StringComparison.Ordinal))
        || url.IsLoopback
        || (options.PublicBaseUrl is { } publicUrl && Uri.TryCreate(publicUrl, UriKind.Absolute, out var own) && own.Host == url.Host);

    private static EmulatedCluster ToEmulated(ClusterState c) => new(c.Key, c.AccountId, c.Region, c.Name, c.Arn, c.Status, c.Version);
}
