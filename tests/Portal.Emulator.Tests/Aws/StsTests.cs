using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class StsTests : IAsyncLifetime
{
    private const string RoleArn = "arn:aws:iam::222222222222:role/unicron-provisioner";
    private const string ExternalId = "unicron-emulator-external-id";
    private AwsEmulator _emulator = null!;

    public async Task InitializeAsync() => _emulator = await AwsEmulator.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task GetCallerIdentity_WithLongTermKey_NamesTheAccountsUser()
    {
        using var sts = _emulator.Sts(_emulator.Platform.Credentials!);

        var identity = await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest());

        Assert.Equal("111111111111", identity.Account);
        Assert.Equal("arn:aws:iam::111111111111:user/emulator", identity.Arn);
        Assert.StartsWith("AIDA", identity.UserId);
    }

    [Fact]
    public async Task AssumeRole_WithRightExternalId_IssuesTemporaryCredentialsInTheRolesAccount()
    {
        using var sts = _emulator.Sts(_emulator.Platform.Credentials!);

        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = RoleArn, RoleSessionName = "portal", ExternalId = ExternalId, DurationSeconds = 900,
        });

        Assert.StartsWith("ASIA", assumed.Credentials.AccessKeyId);
        Assert.False(string.IsNullOrEmpty(assumed.Credentials.SecretAccessKey));
        Assert.False(string.IsNullOrEmpty(assumed.Credentials.SessionToken));
        Assert.Equal("arn:aws:sts::222222222222:assumed-role/unicron-provisioner/portal", assumed.AssumedRoleUser.Arn);
        Assert.EndsWith(":portal", assumed.AssumedRoleUser.AssumedRoleId);
        var expected = _emulator.Clock.GetUtcNow().AddSeconds(900);
        Assert.InRange(assumed.Credentials.Expiration!.Value.ToUniversalTime(), expected.UtcDateTime.AddSeconds(-2), expected.UtcDateTime.AddSeconds(1));

        using var asRole = _emulator.Sts(new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken));
        var identity = await asRole.GetCallerIdentityAsync(new GetCallerIdentityRequest());
        Assert.Equal("222222222222", identity.Account);
        Assert.Equal(assumed.AssumedRoleUser.Arn, identity.Arn);
    }

    [Fact]
    public async Task AssumeRole_WithWrongExternalId_ReturnsAccessDenied()
    {
        using var sts = _emulator.Sts(_emulator.Platform.Credentials!);

        var error = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() =>
            sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = RoleArn, RoleSessionName = "portal", ExternalId = "not-the-one" }));

        Assert.Equal("AccessDenied", error.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
    }

    [Fact]
    public async Task AssumeRole_WithoutExternalId_ReturnsAccessDenied()
    {
        var response = await _emulator.Platform.StsAsync(Form("AssumeRole", ("RoleArn", RoleArn), ("RoleSessionName", "portal")));

        Assert.Equal((403, "AccessDenied"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task AssumeRole_FromAnUntrustedAccount_ReturnsAccessDenied()
    {
        // The team account's own user is not in the provisioner role's trust policy (only the platform account is).
        var response = await _emulator.Team.StsAsync(Form("AssumeRole", ("RoleArn", RoleArn), ("RoleSessionName", "x1"), ("ExternalId", ExternalId)));

        Assert.Equal((403, "AccessDenied"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task AssumeRole_WithUnknownRole_ReturnsAccessDenied()
    {
        var response = await _emulator.Platform.StsAsync(Form("AssumeRole", ("RoleArn", "arn:aws:iam::222222222222:role/nope"), ("RoleSessionName", "x1")));

        Assert.Equal((403, "AccessDenied"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task AssumeRole_WithDurationAboveRoleMaximum_ReturnsValidationError()
    {
        var response = await _emulator.Platform.StsAsync(Form("AssumeRole", ("RoleArn", RoleArn), ("RoleSessionName", "x1"), ("ExternalId", ExternalId), ("DurationSeconds", "7200")));

        Assert.Equal((400, "ValidationError"), (response.Status, response.ErrorType));
    }

    [Theory]
    [InlineData("RoleSessionName", "has spaces", "roleSessionName")]
    [InlineData("RoleSessionName", "x", "roleSessionName")]
    [InlineData("DurationSeconds", "899", "durationSeconds")]
    [InlineData("DurationSeconds", "soon", "durationSeconds")]
    public async Task AssumeRole_WithInvalidParameter_ReturnsValidationErrorNamingIt(string parameter, string value, string path)
    {
        var parameters = new Dictionary<string, string> { ["RoleArn"] = RoleArn, ["RoleSessionName"] = "portal", ["ExternalId"] = ExternalId, [parameter] = value };

        var response = await _emulator.Platform.StsAsync(Form("AssumeRole", [.. parameters.Select(p => (p.Key, p.Value))]));

        Assert.Equal((400, "ValidationError"), (response.Status, response.ErrorType));
        Assert.Contains($"at '{path}'", response.Message);
    }

    [Fact]
    public async Task AssumeRole_WithoutRoleArn_ReturnsValidationError()
    {
        var response = await _emulator.Platform.StsAsync(Form("AssumeRole", ("RoleSessionName", "portal")));

        Assert.Equal((400, "ValidationError"), (response.Status, response.ErrorType));
        Assert.Contains("'roleArn'", response.Message);
    }

    [Fact]
    public async Task UnknownAction_ReturnsInvalidAction()
    {
        var response = await _emulator.Platform.StsAsync(Form("GetSessionToken"));

        Assert.Equal((400, "InvalidAction"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task TemporaryCredentials_AfterExpiry_ReturnExpiredToken()
    {
        using var sts = _emulator.Sts(_emulator.Platform.Credentials!);
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = RoleArn, RoleSessionName = "portal", ExternalId = ExternalId, DurationSeconds = 900 });
        var temporary = _emulator.Platform.With(new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken));
        Assert.Equal(200, (await temporary.StsAsync(Form("GetCallerIdentity"))).Status);

        _emulator.Clock.Advance(TimeSpan.FromSeconds(901));

        var sts403 = await temporary.StsAsync(Form("GetCallerIdentity"));
        Assert.Equal((403, "ExpiredToken"), (sts403.Status, sts403.ErrorType));
        var eks403 = await temporary.EksAsync(HttpMethod.Get, "/clusters");
        Assert.Equal((403, "ExpiredTokenException"), (eks403.Status, eks403.ErrorType));
    }

    [Fact]
    public async Task TemporaryCredentials_WithoutSessionToken_ReturnInvalidClientTokenId()
    {
        using var sts = _emulator.Sts(_emulator.Platform.Credentials!);
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = RoleArn, RoleSessionName = "portal", ExternalId = ExternalId });
        var withoutToken = _emulator.Platform.With(new BasicAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey));

        var response = await withoutToken.StsAsync(Form("GetCallerIdentity"));

        Assert.Equal((403, "InvalidClientTokenId"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task GetCallerIdentity_Unsigned_ReturnsMissingAuthenticationToken()
    {
        var response = await _emulator.Platform.With(null).StsAsync(Form("GetCallerIdentity"));

        Assert.Equal((403, "MissingAuthenticationToken"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task GetCallerIdentity_WithUnknownKey_ReturnsInvalidClientTokenId()
    {
        using var sts = _emulator.Sts(new BasicAWSCredentials("AKIAUNKNOWNUNKNOWN00", "whatever"));

        var error = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => sts.GetCallerIdentityAsync(new GetCallerIdentityRequest()));

        Assert.Equal("InvalidClientTokenId", error.ErrorCode);
    }

    [Fact]
    public async Task GetCallerIdentity_WithWrongSecret_ReturnsSignatureDoesNotMatch()
    {
        using var sts = _emulator.Sts(new BasicAWSCredentials(_emulator.Host.PrimaryAccount.AccessKeyId, "not-the-secret"));

        var error = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => sts.GetCallerIdentityAsync(new GetCallerIdentityRequest()));

        Assert.Equal("SignatureDoesNotMatch", error.ErrorCode);
    }

    [Fact]
    public async Task AssumeRole_WithTamperedBody_ReturnsSignatureDoesNotMatch()
    {
        var response = await _emulator.Platform.StsAsync(Form("AssumeRole", ("RoleArn", RoleArn), ("RoleSessionName", "portal"), ("ExternalId", ExternalId)),
            tamper: message => message.Content = new StringContent(
                $"Action=AssumeRole&Version=2011-06-15&RoleArn={Uri.EscapeDataString(RoleArn)}&RoleSessionName=other&ExternalId={ExternalId}",
                System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal((403, "SignatureDoesNotMatch"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task GetCallerIdentity_AsPresignedGet_AnswersTheSigner()
    {
        var token = _emulator.Platform.EksToken("any");
        var url = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(token["k8s-aws-v1.".Length..].Replace('-', '+').Replace('_', '/'))));
        // The presigned URL names sts.us-east-1.amazonaws.com; resend its query to the emulator with the signed header.
        var emulatorUrl = new Uri(_emulator.Host.BaseAddress, new Uri(url).PathAndQuery);
        var signed = new Amazon.Runtime.Signing.AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = new Uri($"{emulatorUrl.GetLeftPart(UriPartial.Authority)}/?Action=GetCallerIdentity&Version=2011-06-15") };
        signed.Headers["x-k8s-aws-id"] = "any";
        var presigned = Amazon.Runtime.Signing.AWSSigV4Signer.Presign(signed, new Amazon.Runtime.Signing.AWSSigV4Parameters
        {
            Credentials = _emulator.Platform.Credentials!, Region = Amazon.RegionEndpoint.USEast1, Service = "sts", SignedAt = _emulator.Clock.GetUtcNow().UtcDateTime,
        }, TimeSpan.FromSeconds(60));
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, presigned.Uri);
        request.Headers.Add("x-k8s-aws-id", "any");

        using var response = await http.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Contains("<Account>111111111111</Account>", body);
    }

    internal static IEnumerable<KeyValuePair<string, string>> Form(string action, params (string Key, string Value)[] parameters) =>
        [new("Action", action), new("Version", "2011-06-15"), .. parameters.Select(p => KeyValuePair.Create(p.Key, p.Value))];

    private static string Pad(string base64) => base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
}
