using Amazon.Runtime;

namespace Portal.Core.Cloud.Aws;

/// <summary>
/// Temporary credentials for one AWS account and region, as AssumeRole returned them. Every EKS call and every
/// EKS token takes one, so the account a call acts in is always explicit.
/// </summary>
public sealed record AwsSession(string AccountId, string Region, ImmutableCredentials Credentials, DateTimeOffset Expiration)
{
    /// <summary>The same credentials in the form AWSSDK.Core's signer takes.</summary>
    public AWSCredentials ToAwsCredentials() => Credentials.UseToken
        ? new SessionAWSCredentials(Credentials.AccessKey, Credentials.SecretKey, Credentials.Token)
        : new BasicAWSCredentials(Credentials.AccessKey, Credentials.SecretKey);

    /// <summary>True when the credentials stop working within <paramref name="margin"/> of <paramref name="now"/>.</summary>
    public bool ExpiresWithin(TimeSpan margin, DateTimeOffset now) => Expiration - now <= margin;

    // Records print every member; the secret key and session token must never reach a log.
    public override string ToString() => $"AwsSession {{ AccountId = {AccountId}, Region = {Region}, AccessKeyId = {Credentials.AccessKey}, Expiration = {Expiration:O} }}";
}
