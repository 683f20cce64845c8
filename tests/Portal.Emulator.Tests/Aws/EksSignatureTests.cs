using System.Text;
using Amazon.Runtime;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class EksSignatureTests : IAsyncLifetime
{
    private AwsEmulator _emulator = null!;

    public async Task InitializeAsync() => _emulator = await AwsEmulator.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task ListClusters_WithGoodSignature_Succeeds()
    {
        var response = await _emulator.Platform.EksAsync(HttpMethod.Get, "/clusters");

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task CreateCluster_WithBodyTamperedAfterSigning_ReturnsInvalidSignatureException()
    {
        var response = await _emulator.Platform.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("signed"),
            tamper: m => m.Content = new StringContent(AwsEmulator.ClusterRequest("tampered").ToJsonString(), Encoding.UTF8, "application/json"));

        Assert.Equal((403, "InvalidSignatureException"), (response.Status, response.ErrorType));
        Assert.Empty((await _emulator.Platform.EksAsync(HttpMethod.Get, "/clusters")).Json["clusters"]!.AsArray());
    }

    [Fact]
    public async Task ListClusters_WithPathTamperedAfterSigning_ReturnsInvalidSignatureException()
    {
        var response = await _emulator.Platform.EksAsync(HttpMethod.Get, "/clusters?maxResults=5",
            tamper: m => m.RequestUri = new Uri(m.RequestUri!, "/clusters?maxResults=6"));

        Assert.Equal((403, "InvalidSignatureException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListClusters_WithWrongSecret_ReturnsInvalidSignatureException()
    {
        var client = _emulator.Platform.With(new BasicAWSCredentials(_emulator.Host.PrimaryAccount.AccessKeyId, "wrong-secret"));

        var response = await client.EksAsync(HttpMethod.Get, "/clusters");

        Assert.Equal((403, "InvalidSignatureException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListClusters_WithUnknownAccessKey_ReturnsUnrecognizedClientException()
    {
        var client = _emulator.Platform.With(new BasicAWSCredentials("AKIANOTISSUED0000000", "secret"));

        var response = await client.EksAsync(HttpMethod.Get, "/clusters");

        Assert.Equal((403, "UnrecognizedClientException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListClusters_Unsigned_ReturnsMissingAuthenticationTokenException()
    {
        var response = await _emulator.Platform.With(null).EksAsync(HttpMethod.Get, "/clusters");

        Assert.Equal((403, "MissingAuthenticationTokenException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListClusters_WithAuthorizationMissingSignature_ReturnsIncompleteSignatureException()
    {
        var response = await _emulator.Platform.EksAsync(HttpMethod.Get, "/clusters", tamper: m =>
        {
            var header = m.Headers.GetValues("Authorization").First();
            m.Headers.Remove("Authorization");
            m.Headers.TryAddWithoutValidation("Authorization", header[..header.IndexOf(", Signature=", StringComparison.Ordinal)]);
        });

        Assert.Equal((403, "IncompleteSignatureException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task ListClusters_SignedMoreThanFifteenMinutesAgo_ReturnsInvalidSignatureException()
    {
        var stale = new AwsTestClient(_emulator.Host.BaseAddress, _emulator.Platform.Credentials, new ManualClock(_emulator.Clock.GetUtcNow().AddMinutes(-16)));

        var response = await stale.EksAsync(HttpMethod.Get, "/clusters");

        Assert.Equal((403, "InvalidSignatureException"), (response.Status, response.ErrorType));
        Assert.Contains("Signature expired", response.Message);
    }

    [Fact]
    public async Task ListClusters_SignedForAnotherService_ReturnsInvalidSignatureException()
    {
        var response = await _emulator.Platform.SendAsync("sts", HttpMethod.Get, "/clusters", null, "application/json");

        Assert.Equal((403, "InvalidSignatureException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task TagResource_WithEncodedArnInPath_VerifiesSignature()
    {
        var cluster = await _emulator.CreateActiveClusterAsync(_emulator.Platform, "tagged");

        var response = await _emulator.Platform.EksAsync(HttpMethod.Get, $"/tags/{Uri.EscapeDataString((string)cluster["arn"]!)}");

        Assert.Equal(200, response.Status);
    }
}
