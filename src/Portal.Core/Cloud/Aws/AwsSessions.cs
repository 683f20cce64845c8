using System.Collections.Concurrent;
using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portal.Core.Cloud.Aws;

/// <summary>
/// Turns the portal's own credentials into sessions in the teams' accounts: STS AssumeRole with the environment's
/// external id. Sessions are cached per (role, external id, region) until five minutes before they expire, so a
/// reconcile loop does not call STS on every step. Thread-safe; concurrent callers for one key share one AssumeRole.
/// </summary>
public sealed class AwsSessions(IOptions<CloudOptions> options, TimeProvider clock, ILogger<AwsSessions> logger) : IDisposable
{
    /// <summary>A cached session is replaced once it has less than this left, so no call starts with credentials about to lapse.</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    // Keyed by session name too: CloudTrail must name the user who caused the calls, not whoever assumed the role first.
    private readonly ConcurrentDictionary<(string RoleArn, string ExternalId, string Region, string SessionName), Entry> _cache = new();
    private readonly ConcurrentDictionary<string, AmazonSecurityTokenServiceClient> _clients = new();

    private CloudOptions Options => options.Value;

    /// <summary>
    /// Credentials in the role's account. <paramref name="actingUser"/> goes into the role session name (after the
    /// portal's prefix), so CloudTrail in the team's account shows who caused the call.
    /// </summary>
    /// <exception cref="AwsServiceException">STS refused, e.g. <c>AccessDenied</c> for a wrong external id or an untrusted account.</exception>
    public async Task<AwsSession> AssumeAsync(string roleArn, string externalId, string region, string actingUser, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(roleArn);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        var entry = _cache.GetOrAdd((roleArn, externalId ?? "", region, SessionNameFor(Options.SessionName, actingUser)), _ => new Entry());
        if (entry.Session is { } cached && !cached.ExpiresWithin(RefreshMargin, clock.GetUtcNow())) return cached;

        await entry.Gate.WaitAsync(ct);
        try
        {
            // Another caller may have refreshed it while this one waited.
            if (entry.Session is { } fresh && !fresh.ExpiresWithin(RefreshMargin, clock.GetUtcNow())) return fresh;
            entry.Session = await AssumeRoleAsync(roleArn, externalId, region, actingUser, ct);
            return entry.Session;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Forgets cached sessions (after an environment's role or external id changed).</summary>
    public void Invalidate(string roleArn)
    {
        foreach (var key in _cache.Keys.Where(k => k.RoleArn == roleArn)) _cache.TryRemove(key, out _);
    }

    /// <summary>
    /// The role session name: the portal's prefix and the acting user, reduced to what STS accepts
    /// (<c>[\w+=,.@-]{2,64}</c>); anything else becomes '-', and the result is cut at 64 characters.
    /// </summary>
    public static string SessionNameFor(string prefix, string? actingUser)
    {
        var name = new StringBuilder(Sanitise(prefix));
        var user = Sanitise(actingUser ?? "");
        if (user.Length > 0) name.Append('@').Append(user);
        var result = name.ToString();
        if (result.Length > 64) result = result[..64];
        return result.Length >= 2 ? result : result.PadRight(2, '-');

        static string Sanitise(string value) =>
            new(value.Trim().Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '=' or ',' or '.' or '@' or '-' ? c : '-').ToArray());
    }

    private async Task<AwsSession> AssumeRoleAsync(string roleArn, string? externalId, string region, string actingUser, CancellationToken ct)
    {
        var request = new AssumeRoleRequest
        {
            RoleArn = roleArn,
            RoleSessionName = SessionNameFor(Options.SessionName, actingUser),
            ExternalId = string.IsNullOrEmpty(externalId) ? null : externalId,
            DurationSeconds = Options.SessionDurationSeconds,
        };
        AssumeRoleResponse response;
        try
        {
            response = await Client(region).AssumeRoleAsync(request, ct);
        }
        catch (AmazonSecurityTokenServiceException e)
        {
            throw new AwsServiceException(e.ErrorCode ?? "Unknown", $"assuming {roleArn} as {request.RoleSessionName} was refused: {e.Message}",
                e.StatusCode, e.RequestId, "AssumeRole", e);
        }
        catch (AmazonServiceException e)
        {
            throw new AwsServiceException(e.ErrorCode ?? "Unknown", $"assuming {roleArn} failed: {e.Message}", e.StatusCode, e.RequestId, "AssumeRole", e);
        }

        var credentials = response.Credentials;
        var expiration = credentials.Expiration is { } at
            ? new DateTimeOffset(DateTime.SpecifyKind(at, at.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : at.Kind).ToUniversalTime())
            : clock.GetUtcNow().AddSeconds(Options.SessionDurationSeconds);
        var session = new AwsSession(AccountOf(response.AssumedRoleUser?.Arn) ?? AccountOf(roleArn) ?? "", region,
            new ImmutableCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken), expiration);
        logger.LogInformation("Assumed {RoleArn} as {SessionName} in {Region}; credentials expire at {Expiration:O}",
            roleArn, request.RoleSessionName, region, expiration);
        return session;
    }

    private AmazonSecurityTokenServiceClient Client(string region) => _clients.GetOrAdd(region, r =>
    {
        var config = new AmazonSecurityTokenServiceConfig { MaxErrorRetry = Math.Max(0, Options.MaxAttempts - 1) };
        if (Options.StsEndpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = r;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(r);
        }
        // No credentials given: the SDK resolves its default chain (environment, profile, web identity, container, instance).
        return PortalCredentials() is { } own ? new AmazonSecurityTokenServiceClient(own, config) : new AmazonSecurityTokenServiceClient(config);
    });

    private AWSCredentials? PortalCredentials() => Options switch
    {
        { AccessKeyId: { Length: > 0 } key, SecretAccessKey: { Length: > 0 } secret, SessionToken: { Length: > 0 } token } => new SessionAWSCredentials(key, secret, token),
        { AccessKeyId: { Length: > 0 } key, SecretAccessKey: { Length: > 0 } secret } => new BasicAWSCredentials(key, secret),
        _ => null,
    };

    // arn:aws:iam::222222222222:role/x and arn:aws:sts::222222222222:assumed-role/x/s carry the account in field 5.
    private static string? AccountOf(string? arn) => arn?.Split(':') is { Length: >= 6 } parts && parts[4].Length == 12 ? parts[4] : null;

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
        _clients.Clear();
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public volatile AwsSession? Session;
    }
}
