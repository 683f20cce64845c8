using System.Security.Cryptography;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Aws.Identity;

/// <summary>Temporary credentials STS issued: who they act as and until when.</summary>
public sealed record TemporaryCredential(
    string AccessKeyId,
    string SecretAccessKey,
    string SessionToken,
    DateTimeOffset Expiration,
    string AccountId,
    string Arn,
    string UserId,
    string RoleArn);

/// <summary>The secret behind an access key and the principal it proves.</summary>
public sealed record SigningKey(string AccessKeyId, string SecretAccessKey, string? SessionToken, DateTimeOffset? Expiration, CallerIdentity Caller);

/// <summary>Why AssumeRole refused, in the STS error code it answers with.</summary>
public sealed record AssumeRoleRefusal(string Code, int Status, string Message);

/// <summary>
/// The emulator's IAM: configured accounts with their long-term keys and roles, and the temporary credentials
/// STS issued. The credentials a request is signed with decide the account it acts in.
/// </summary>
public sealed class AccountStore(EmulatorOptions options, AwsState state, TimeProvider clock)
{
    // Replaced as a whole (copy on write) by RegisterRole, so readers never see a list or role set mid-change.
    private volatile IReadOnlyList<AccountOptions> _accounts = Validated(options.EffectiveAccounts);
    private readonly Lock _registration = new();

    public IReadOnlyList<AccountOptions> Accounts => _accounts;

    /// <summary>
    /// Adds a role (and its account, reachable only by role, when it is not configured) at run time, or replaces the
    /// role's trust and external id: how an embedding portal makes each newly registered team environment assumable.
    /// Not persisted in the state file; the embedder registers its roles again after a restart.
    /// </summary>
    public void RegisterRole(string accountId, string roleName, string? externalId, IReadOnlyList<string> trustedAccounts)
    {
        var role = new RoleOptions { Name = roleName, ExternalId = externalId, TrustedAccounts = [.. trustedAccounts] };
        lock (_registration)
        {
            var accounts = _accounts.ToList();
            var index = accounts.FindIndex(a => a.Id == accountId);
            var account = index >= 0 ? accounts[index] : new AccountOptions { Id = accountId, Name = $"account-{accountId}" };
            var copy = new AccountOptions
            {
                Id = account.Id, Name = account.Name, AccessKeyId = account.AccessKeyId, SecretAccessKey = account.SecretAccessKey,
                UserName = account.UserName, Roles = [.. account.Roles.Where(r => r.Name != roleName), role],
            };
            if (index >= 0) accounts[index] = copy; else accounts.Add(copy);
            _accounts = Validated(accounts);
        }
    }

    public static string RoleArn(string accountId, string roleName) => $"arn:aws:iam::{accountId}:role/{roleName}";

    public static string UserArn(AccountOptions account) => $"arn:aws:iam::{account.Id}:user/{account.UserName}";

    /// <summary>The stable unique id AWS gives a user (AIDA...) or role (AROA...), derived from its ARN so it survives restarts.</summary>
    public static string UniqueId(string prefix, string arn) =>
        prefix + Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(arn)))[..17];

    /// <summary>The secret and principal for an access key, or null when the emulator never issued it.</summary>
    public SigningKey? FindKey(string accessKeyId)
    {
        foreach (var account in _accounts)
        {
            if (account.AccessKeyId == accessKeyId && account.SecretAccessKey is not null)
            {
                var arn = UserArn(account);
                return new SigningKey(accessKeyId, account.SecretAccessKey, null, null, new CallerIdentity(account.Id, arn, UniqueId("AIDA", arn)));
            }
        }
        lock (state.Gate)
        {
            return state.Credentials.TryGetValue(accessKeyId, out var temp)
                ? new SigningKey(temp.AccessKeyId, temp.SecretAccessKey, temp.SessionToken, temp.Expiration, new CallerIdentity(temp.AccountId, temp.Arn, temp.UserId))
                : null;
        }
    }

    /// <summary>
    /// AssumeRole as STS does it: the role must exist and trust the caller's account, the external id must match
    /// the role's, and the session may not outlive the role's maximum (one hour when chaining roles).
    /// </summary>
    public (TemporaryCredential? Credential, AssumeRoleRefusal? Refusal) AssumeRole(
        CallerIdentity caller, bool callerIsTemporary, string roleArn, string sessionName, string? externalId, int? durationSeconds)
    {
        var role = FindRole(roleArn);
        var denied = new AssumeRoleRefusal("AccessDenied", 403,
            $"User: {caller.Arn} is not authorized to perform: sts:AssumeRole on resource: {roleArn}");
        if (role is null) return (null, denied);
        var (account, options) = role.Value;
        var trusted = options.TrustedAccounts.Count == 0 ? [account.Id] : options.TrustedAccounts;
        if (!trusted.Contains(caller.AccountId)) return (null, denied);
        if (options.ExternalId is not null && !string.Equals(options.ExternalId, externalId, StringComparison.Ordinal)) return (null, denied);

        var duration = durationSeconds ?? 3600;
        var maximum = callerIsTemporary ? Math.Min(3600, options.MaxSessionDurationSeconds) : options.MaxSessionDurationSeconds;
        if (duration > maximum)
        {
            return (null, new AssumeRoleRefusal("ValidationError", 400, callerIsTemporary
                ? $"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                : $"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
        }

        var canonicalArn = RoleArn(account.Id, options.Name);
        var credential = new TemporaryCredential(
            AccessKeyId: "ASIA" + RandomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            SecretAccessKey: RandomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
            SessionToken: "IQoJb3JpZ2luX2VtdWxhdG9y" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(96)),
            Expiration: TruncateToSeconds(clock.GetUtcNow().AddSeconds(duration)),
            AccountId: account.Id,
            Arn: $"arn:aws:sts::{account.Id}:assumed-role/{options.Name}/{sessionName}",
            UserId: $"{UniqueId("AROA", canonicalArn)}:{sessionName}",
            RoleArn: canonicalArn);
        lock (state.Gate)
        {
            // Expired credentials are forgotten lazily so the state file does not grow forever.
            foreach (var old in state.Credentials.Values.Where(c => c.Expiration < clock.GetUtcNow().AddDays(-1)).ToList())
            {
                state.Credentials.Remove(old.AccessKeyId);
            }
            state.Credentials[credential.AccessKeyId] = credential;
            state.Changed();
        }
        return (credential, null);
    }

    private (AccountOptions Account, RoleOptions Role)? FindRole(string roleArn)
    {
        // arn:aws:iam::ACCOUNT:role/[path/]NAME
        var parts = roleArn.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].StartsWith("role/", StringComparison.Ordinal)) return null;
        var name = parts[5][(parts[5].LastIndexOf('/') + 1)..];
        var account = _accounts.FirstOrDefault(a => a.Id == parts[4]);
        var role = account?.Roles.FirstOrDefault(r => r.Name == name);
        return account is null || role is null ? null : (account, role);
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) => value.AddTicks(-(value.Ticks % TimeSpan.TicksPerSecond));

    private static string RandomString(int length, string alphabet) =>
        string.Create(length, alphabet, (span, chars) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = chars[RandomNumberGenerator.GetInt32(chars.Length)];
        });

    private static IReadOnlyList<AccountOptions> Validated(IReadOnlyList<AccountOptions> accounts)
    {
        foreach (var account in accounts)
        {
            if (account.Id.Length != 12 || !account.Id.All(char.IsAsciiDigit))
            {
                throw new InvalidOperationException($"Emulator account '{account.Name}' has id '{account.Id}': AWS account ids are 12 digits.");
            }
            if ((account.AccessKeyId is null) != (account.SecretAccessKey is null))
            {
                throw new InvalidOperationException($"Emulator account {account.Id} needs both AccessKeyId and SecretAccessKey, or neither.");
            }
        }
        var duplicate = accounts.Where(a => a.AccessKeyId is not null).GroupBy(a => a.AccessKeyId).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? accounts : throw new InvalidOperationException($"Access key {duplicate.Key} is configured for more than one account.");
    }
}
