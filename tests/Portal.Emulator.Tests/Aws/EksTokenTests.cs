using Amazon.Runtime;
using Amazon.SecurityToken.Model;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class EksTokenTests : IAsyncLifetime
{
    private AwsEmulator _emulator = null!;

    public async Task InitializeAsync() => _emulator = await AwsEmulator.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public void VerifyEksToken_WithFreshTokenForTheCluster_ReturnsTheSigner()
    {
        var token = _emulator.Platform.EksToken("alpha");

        var (caller, error) = _emulator.Host.Clusters.VerifyEksToken(token, "alpha");

        Assert.Null(error);
        Assert.Equal("111111111111", caller!.AccountId);
        Assert.Equal("arn:aws:iam::111111111111:user/emulator", caller.Arn);
    }

    [Fact]
    public async Task VerifyEksToken_SignedWithAssumedRole_ReturnsTheAssumedRoleSession()
    {
        using var sts = _emulator.Sts(_emulator.Platform.Credentials!);
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = "arn:aws:iam::222222222222:role/unicron-provisioner", RoleSessionName = "portal", ExternalId = "unicron-emulator-external-id",
        });
        var asRole = _emulator.Platform.With(new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken));

        var (caller, error) = _emulator.Host.Clusters.VerifyEksToken(asRole.EksToken("team-cluster"), "team-cluster");

        Assert.Null(error);
        Assert.Equal("222222222222", caller!.AccountId);
        Assert.Equal("arn:aws:sts::222222222222:assumed-role/unicron-provisioner/portal", caller.Arn);
    }

    [Fact]
    public void VerifyEksToken_ForAnotherCluster_IsRefused()
    {
        var (caller, error) = _emulator.Host.Clusters.VerifyEksToken(_emulator.Platform.EksToken("alpha"), "beta");

        Assert.Null(caller);
        Assert.Contains("x-k8s-aws-id", error);
    }

    [Fact]
    public void VerifyEksToken_AfterFifteenMinutes_IsRefusedAsExpired()
    {
        var token = _emulator.Platform.EksToken("alpha");
        _emulator.Clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Null(_emulator.Host.Clusters.VerifyEksToken(token, "alpha").Error);

        _emulator.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        Assert.Contains("expired", _emulator.Host.Clusters.VerifyEksToken(token, "alpha").Error);
    }

    [Fact]
    public void VerifyEksToken_WithExpiresAboveFifteenMinutes_IsRefused()
    {
        var token = _emulator.Platform.EksToken("alpha", expiry: TimeSpan.FromMinutes(60));

        Assert.NotNull(_emulator.Host.Clusters.VerifyEksToken(token, "alpha").Error);
    }

    [Fact]
    public void VerifyEksToken_SignedWithWrongSecret_IsRefused()
    {
        var forged = _emulator.Platform.With(new BasicAWSCredentials(_emulator.Host.PrimaryAccount.AccessKeyId, "guess"));

        Assert.Contains("signature", _emulator.Host.Clusters.VerifyEksToken(forged.EksToken("alpha"), "alpha").Error);
    }

    [Fact]
    public void VerifyEksToken_WithTamperedUrl_IsRefused()
    {
        var token = _emulator.Platform.EksToken("alpha");
        var url = Decode(token).Replace("Version=2011-06-15", "Version=2011-06-15&Extra=1");

        Assert.NotNull(_emulator.Host.Clusters.VerifyEksToken(Encode(url), "alpha").Error);
    }

    [Fact]
    public void VerifyEksToken_WithoutSignedClusterHeader_IsRefused()
    {
        var request = new Amazon.Runtime.Signing.AWSSigningRequest
        {
            HttpMethod = HttpMethod.Get, RequestUri = new Uri("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"),
        };
        var presigned = Amazon.Runtime.Signing.AWSSigV4Signer.Presign(request, new Amazon.Runtime.Signing.AWSSigV4Parameters
        {
            Credentials = _emulator.Platform.Credentials!, Region = Amazon.RegionEndpoint.USEast1, Service = "sts", SignedAt = _emulator.Clock.GetUtcNow().UtcDateTime,
        }, TimeSpan.FromSeconds(60));

        Assert.Contains("x-k8s-aws-id", _emulator.Host.Clusters.VerifyEksToken(Encode(presigned.Uri.ToString()), "alpha").Error);
    }

    [Theory]
    [InlineData("Bearer something")]
    [InlineData("k8s-aws-v1.!!!")]
    [InlineData("k8s-aws-v1.aHR0cHM6Ly9leGFtcGxlLmNvbS8")]
    public void VerifyEksToken_WithMalformedToken_IsRefused(string token)
    {
        Assert.NotNull(_emulator.Host.Clusters.VerifyEksToken(token, "alpha").Error);
    }

    [Fact]
    public async Task VerifyEksToken_WithExpiredTemporaryCredentials_IsRefused()
    {
        using var sts = _emulator.Sts(_emulator.Platform.Credentials!);
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = "arn:aws:iam::222222222222:role/unicron-provisioner", RoleSessionName = "portal", ExternalId = "unicron-emulator-external-id", DurationSeconds = 900,
        });
        var asRole = _emulator.Platform.With(new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken));
        var token = asRole.EksToken("c");

        _emulator.Clock.Advance(TimeSpan.FromSeconds(901));

        Assert.Contains("expired", _emulator.Host.Clusters.VerifyEksToken(token, "c").Error);
    }

    internal static string Decode(string token)
    {
        var base64 = token["k8s-aws-v1.".Length..].Replace('-', '+').Replace('_', '/');
        return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
    }

    private static string Encode(string url) =>
        "k8s-aws-v1." + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(url)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
