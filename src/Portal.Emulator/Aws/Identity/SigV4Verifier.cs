using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Signing;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Aws.Identity;

/// <summary>The classes of authentication failure AWS distinguishes; each protocol names them its own way.</summary>
public enum AuthFailureKind
{
    /// <summary>No Authorization header and no presigned query.</summary>
    Missing,
    /// <summary>Authorization present but malformed or missing a part (credential, signed headers, date).</summary>
    Incomplete,
    /// <summary>The access key (or its session token) is not one the emulator issued.</summary>
    UnknownKey,
    /// <summary>The recomputed signature differs, the scope is wrong, or the signature is too old or too new.</summary>
    SignatureMismatch,
    /// <summary>Temporary credentials past their expiration.</summary>
    ExpiredToken,
}

public sealed record AuthFailure(AuthFailureKind Kind, string Message);

/// <summary>A verified request: who signed it, for which region.</summary>
public sealed record AwsCaller(CallerIdentity Identity, string AccessKeyId, bool IsTemporary, string Region);

/// <summary>The parts of an HTTP request that SigV4 covers.</summary>
public sealed record SignedRequest(string Method, string Scheme, string Host, string RawTarget, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// Verifies SigV4 by recomputing the signature with AWSSDK.Core from the secret the emulator knows for the access
/// key. SigV4 itself is never re-implemented here: the standalone <see cref="AWSSigV4Signer"/> recomputes what it
/// can reproduce (presigned URLs, and header signatures that cover x-amz-content-sha256, as the .NET SDK sends);
/// botocore (the AWS CLI) does not sign x-amz-content-sha256, which the standalone signer always adds, so those
/// are recomputed with the same SDK's canonicalisation and signing functions.
/// </summary>
public sealed class SigV4Verifier(AccountStore accounts, EmulatorOptions options, TimeProvider clock)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>Verifies a request signed in its Authorization header or presigned in its query string.</summary>
    public (AwsCaller? Caller, AuthFailure? Failure) Verify(SignedRequest request, string service)
    {
        var query = ParseQuery(request.RawTarget);
        if (query.Any(p => p.Key.Equals("X-Amz-Signature", StringComparison.OrdinalIgnoreCase)))
        {
            return VerifyPresigned(request, query, service, maxExpiry: TimeSpan.FromDays(7), enforceExpiry: true);
        }
        if (!request.Headers.TryGetValue("authorization", out var authorization) || string.IsNullOrWhiteSpace(authorization))
        {
            return Fail(AuthFailureKind.Missing, "Missing Authentication Token");
        }
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return Fail(AuthFailureKind.Incomplete, $"Unsupported AWS 'algorithm': '{authorization.Split(' ')[0]}'. Authorization={authorization}");
        }
        var parts = authorization[(Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        string[] missing = [.. new[] { "Credential", "SignedHeaders", "Signature" }.Where(k => !parts.ContainsKey(k))];
        if (missing.Length > 0)
        {
            return Fail(AuthFailureKind.Incomplete, string.Join(' ', missing.Select(m => $"Authorization header requires '{m}' parameter.")) + $" Authorization={authorization}");
        }
        if (!request.Headers.TryGetValue("x-amz-date", out var amzDate))
        {
            return Fail(AuthFailureKind.Incomplete, $"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}");
        }
        var signedHeaders = parts["SignedHeaders"].Split(';');
        request.Headers.TryGetValue("x-amz-security-token", out var sessionToken);
        var (key, scope, signedAt, failure) = Resolve(parts["Credential"], amzDate, service, sessionToken);
        if (failure is not null) return (null, failure);
        if (!signedHeaders.Contains("host"))
        {
            return Fail(AuthFailureKind.SignatureMismatch, "'Host' must be a signed header.");
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in signedHeaders)
        {
            if (!request.Headers.TryGetValue(name, out var value))
            {
                return Fail(AuthFailureKind.SignatureMismatch, $"The request signature we calculated does not match the signature you provided: signed header '{name}' is missing.");
            }
            headers[name] = value;
        }

        var expected = ComputeHeaderSignature(request, headers, parts["SignedHeaders"], key!, scope!.Value.Region, scope.Value.Service, signedAt);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(parts["Signature"])))
        {
            return Fail(AuthFailureKind.SignatureMismatch,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }
        var skew = SkewFailure(signedAt);
        return skew is not null ? (null, skew) : (new AwsCaller(key!.Caller, key.AccessKeyId, key.SessionToken is not null, scope.Value.Region), null);
    }

    /// <summary>
    /// Verifies a presigned URL (query-string SigV4), as STS verifies the GetCallerIdentity URL inside an EKS token.
    /// <paramref name="signedHeaderValues"/> are the headers the consumer would resend (for EKS tokens: x-k8s-aws-id).
    /// </summary>
    public (AwsCaller? Caller, AuthFailure? Failure) VerifyPresignedUrl(Uri url, IReadOnlyDictionary<string, string> signedHeaderValues, string service, TimeSpan maxExpiry, bool enforceExpiry)
    {
        var headers = new Dictionary<string, string>(signedHeaderValues, StringComparer.OrdinalIgnoreCase);
        var request = new SignedRequest("GET", url.Scheme, url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}", url.PathAndQuery, headers, []);
        return VerifyPresigned(request, ParseQuery(url.PathAndQuery), service, maxExpiry, enforceExpiry);
    }

    private (AwsCaller? Caller, AuthFailure? Failure) VerifyPresigned(
        SignedRequest request, List<KeyValuePair<string, string>> query, string service, TimeSpan maxExpiry, bool enforceExpiry)
    {
        string? Param(string name) => query.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        var algorithm = Param("X-Amz-Algorithm");
        var credential = Param("X-Amz-Credential");
        var date = Param("X-Amz-Date");
        var expires = Param("X-Amz-Expires");
        var signedHeaderList = Param("X-Amz-SignedHeaders");
        var signature = Param("X-Amz-Signature");
        if (algorithm != Algorithm || credential is null || date is null || signedHeaderList is null || signature is null || expires is null)
        {
            return Fail(AuthFailureKind.Incomplete,
                "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters.");
        }
        if (!int.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expirySeconds) || expirySeconds < 1 || expirySeconds > maxExpiry.TotalSeconds)
        {
            return Fail(AuthFailureKind.SignatureMismatch, $"X-Amz-Expires must be between 1 and {(int)maxExpiry.TotalSeconds} seconds; it is {expires}.");
        }
        var (key, scope, signedAt, failure) = Resolve(credential, date, service, Param("X-Amz-Security-Token"));
        if (failure is not null) return (null, failure);

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in signedHeaderList.Split(';').Where(n => n != "host"))
        {
            if (!request.Headers.TryGetValue(name, out var value))
            {
                return Fail(AuthFailureKind.SignatureMismatch, $"The request signature we calculated does not match the signature you provided: signed header '{name}' is missing.");
            }
            headers[name] = value;
        }

        // Recompute over the URL without the signing parameters, which the signer adds back itself.
        var signingParameters = new[] { "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token" };
        var rest = query.Where(p => !signingParameters.Contains(p.Key, StringComparer.OrdinalIgnoreCase))
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}");
        var path = request.RawTarget.Split('?', 2)[0];
        var baseUrl = new Uri($"{request.Scheme}://{request.Host}{path}?{string.Join('&', rest)}");
        var presignRequest = new AWSSigningRequest { HttpMethod = new HttpMethod(request.Method), RequestUri = baseUrl };
        foreach (var (name, value) in headers) presignRequest.Headers[name] = value;
        var parameters = new AWSSigV4Parameters
        {
            Credentials = Credentials(key!),
            Region = RegionEndpoint.GetBySystemName(scope!.Value.Region),
            Service = scope.Value.Service,
            SignedAt = signedAt.UtcDateTime,
        };
        var presigned = AWSSigV4Signer.Presign(presignRequest, parameters, TimeSpan.FromSeconds(expirySeconds));
        var expected = ParseQuery(presigned.Uri.PathAndQuery).FirstOrDefault(p => p.Key == "X-Amz-Signature").Value ?? "";
        if (!FixedEquals(expected, signature))
        {
            // Some SDKs (Go v1, used by aws-iam-authenticator) presign with the empty body's hash, not UNSIGNED-PAYLOAD.
            var canonicalQuery = query.Where(p => !p.Key.Equals("X-Amz-Signature", StringComparison.OrdinalIgnoreCase)).ToList();
            var all = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase) { ["host"] = request.Host };
            var emptyHash = Convert.ToHexStringLower(SHA256.HashData(ReadOnlySpan<byte>.Empty));
            var alternative = SdkCanonical.Signature(request.Method, new Uri($"{request.Scheme}://{request.Host}"), path, all, canonicalQuery, emptyHash,
                key!, scope.Value.Region, scope.Value.Service, signedAt, signedHeaderList);
            if (!FixedEquals(alternative, signature))
            {
                return Fail(AuthFailureKind.SignatureMismatch,
                    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
            }
        }
        if (enforceExpiry && clock.GetUtcNow() > signedAt.AddSeconds(expirySeconds))
        {
            return Fail(AuthFailureKind.SignatureMismatch, $"Signature expired: {date} is now earlier than {clock.GetUtcNow().AddSeconds(-expirySeconds).ToString(DateFormat, CultureInfo.InvariantCulture)} ({date} + {expirySeconds} sec).");
        }
        return (new AwsCaller(key!.Caller, key.AccessKeyId, key.SessionToken is not null, scope.Value.Region), null);
    }

    /// <summary>Finds the key, checks the credential scope, the date and the session token, and whether temporary credentials expired.</summary>
    private (SigningKey? Key, (string Region, string Service)? Scope, DateTimeOffset SignedAt, AuthFailure? Failure) Resolve(
        string credential, string amzDate, string service, string? sessionToken)
    {
        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return (null, null, default, new(AuthFailureKind.Incomplete, $"Credential should be scoped to a valid region, not '{string.Join('/', scope.Skip(2).Take(1))}'. Credential={credential}"));
        }
        if (!DateTimeOffset.TryParseExact(amzDate, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt))
        {
            return (null, null, default, new(AuthFailureKind.Incomplete, $"Date must be in ISO-8601 'basic format'. Got '{amzDate}'."));
        }
        var key = accounts.FindKey(scope[0]);
        if (key is null || (key.SessionToken is not null && !string.Equals(key.SessionToken, sessionToken, StringComparison.Ordinal)))
        {
            return (null, null, default, new(AuthFailureKind.UnknownKey, "The security token included in the request is invalid."));
        }
        if (key.Expiration is { } expiration && clock.GetUtcNow() >= expiration)
        {
            return (null, null, default, new(AuthFailureKind.ExpiredToken, "The security token included in the request is expired"));
        }
        if (scope[1] != amzDate[..8])
        {
            return (null, null, default, new(AuthFailureKind.SignatureMismatch, $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope[1]}' != '{amzDate[..8]}', from '{amzDate}'."));
        }
        if (scope[3] != service)
        {
            return (null, null, default, new(AuthFailureKind.SignatureMismatch, $"Credential should be scoped to correct service: '{service}'. "));
        }
        return (key, (scope[2], scope[3]), signedAt, null);
    }

    private AuthFailure? SkewFailure(DateTimeOffset signedAt)
    {
        var now = clock.GetUtcNow();
        if ((now - signedAt).Duration() <= options.MaxClockSkew) return null;
        return new AuthFailure(AuthFailureKind.SignatureMismatch, now > signedAt
            ? $"Signature expired: {signedAt.ToString(DateFormat, CultureInfo.InvariantCulture)} is now earlier than {(now - options.MaxClockSkew).ToString(DateFormat, CultureInfo.InvariantCulture)} ({now.ToString(DateFormat, CultureInfo.InvariantCulture)} - {options.MaxClockSkew.TotalMinutes} min.)"
            : $"Signature not yet current: {signedAt.ToString(DateFormat, CultureInfo.InvariantCulture)} is still later than {(now + options.MaxClockSkew).ToString(DateFormat, CultureInfo.InvariantCulture)} ({now.ToString(DateFormat, CultureInfo.InvariantCulture)} + {options.MaxClockSkew.TotalMinutes} min.)");
    }

    private static string ComputeHeaderSignature(
        SignedRequest request, Dictionary<string, string> signedHeaders, string signedHeaderNames, SigningKey key, string region, string service, DateTimeOffset signedAt)
    {
        var uri = new Uri($"{request.Scheme}://{request.Host}{request.RawTarget}");
        if (signedHeaders.TryGetValue("x-amz-content-sha256", out var declaredHash) && declaredHash != "UNSIGNED-PAYLOAD")
        {
            // Sign what arrived, not what was declared: a body changed after signing must not verify.
            signedHeaders["x-amz-content-sha256"] = Convert.ToHexStringLower(SHA256.HashData(request.Body));
        }
        if (signedHeaders.ContainsKey("x-amz-content-sha256"))
        {
            // The standalone signer covers exactly these headers (plus host, date, body hash and session token).
            var signingRequest = new AWSSigningRequest { HttpMethod = new HttpMethod(request.Method), RequestUri = uri, Content = request.Body };
            foreach (var (name, value) in signedHeaders.Where(h => h.Key != "host")) signingRequest.Headers[name] = value;
            var result = AWSSigV4Signer.Sign(signingRequest, new AWSSigV4Parameters
            {
                Credentials = Credentials(key),
                Region = RegionEndpoint.GetBySystemName(region),
                Service = service,
                SignedAt = signedAt.UtcDateTime,
            });
            var authorization = result.Headers.First(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)).Value;
            if (authorization.Contains($"SignedHeaders={signedHeaderNames},", StringComparison.Ordinal))
            {
                return authorization[(authorization.IndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length)..];
            }
        }
        var path = request.RawTarget.Split('?', 2)[0];
        var bodyHash = signedHeaders.TryGetValue("x-amz-content-sha256", out var declared) ? declared : Convert.ToHexStringLower(SHA256.HashData(request.Body));
        return SdkCanonical.Signature(request.Method, new Uri($"{request.Scheme}://{request.Host}"), path, signedHeaders, ParseQuery(request.RawTarget), bodyHash,
            key, region, service, signedAt, signedHeaderNames);
    }

    private static AWSCredentials Credentials(SigningKey key) => key.SessionToken is null
        ? new BasicAWSCredentials(key.AccessKeyId, key.SecretAccessKey)
        : new SessionAWSCredentials(key.AccessKeyId, key.SecretAccessKey, key.SessionToken);

    /// <summary>Decoded query parameters in wire order ('+' is a space, as AWS reads it).</summary>
    internal static List<KeyValuePair<string, string>> ParseQuery(string rawTarget)
    {
        var index = rawTarget.IndexOf('?');
        if (index < 0) return [];
        return rawTarget[(index + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(kv => KeyValuePair.Create(HttpUtility.UrlDecode(kv[0]), kv.Length > 1 ? HttpUtility.UrlDecode(kv[1]) : ""))
            .ToList();
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static (AwsCaller?, AuthFailure?) Fail(AuthFailureKind kind, string message) => (null, new AuthFailure(kind, message));

    /// <summary>
    /// AWSSDK.Core's own SigV4 canonicalisation (internal in 4.1.0, so reached by reflection) and its public
    /// <see cref="AWS4Signer.ComputeSignature(string, string, string, DateTime, string, string, string)"/>: the SDK's
    /// SigV4 for header sets the standalone signer cannot reproduce.
    /// </summary>
    private static class SdkCanonical
    {
        private static readonly MethodInfo CanonicalizeRequest = typeof(AWS4Signer)
            .GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .Single(m => m.Name == "CanonicalizeRequest" && m.GetParameters().Length == 8);

        private static readonly MethodInfo SortAndPruneHeaders = typeof(AWS4Signer)
            .GetMethod("SortAndPruneHeaders", BindingFlags.NonPublic | BindingFlags.Static)!;

        private static readonly MethodInfo CanonicalizeQueryParameters = typeof(AWS4Signer)
            .GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .Single(m => m.Name == "CanonicalizeQueryParameters" && m.GetParameters().Length == 2
                && m.GetParameters()[0].ParameterType == typeof(IEnumerable<KeyValuePair<string, string>>));

        public static string Signature(string method, Uri endpoint, string encodedPath, IDictionary<string, string> headers, List<KeyValuePair<string, string>> query,
            string bodyHash, SigningKey key, string region, string service, DateTimeOffset signedAt, string signedHeaderNames)
        {
            var lowered = headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value);
            var sorted = (IDictionary<string, string>)SortAndPruneHeaders.Invoke(null, [lowered])!;
            // SigV4 orders parameters by name, then by value (repeated names such as UntagResource's tagKeys).
            var ordered = query.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).ToList();
            var canonicalQuery = (string)CanonicalizeQueryParameters.Invoke(null, [ordered, true])!;
            // doubleEncode=false: the SDK encodes the already-encoded wire path once more, as SigV4 wants for non-S3 services.
            var canonical = (string)CanonicalizeRequest.Invoke(null, [endpoint, encodedPath, method, sorted, canonicalQuery, bodyHash, null, false])!;
            return AWS4Signer.ComputeSignature(key.AccessKeyId, key.SecretAccessKey, region, signedAt.UtcDateTime, service, signedHeaderNames, canonical).Signature;
        }
    }
}
