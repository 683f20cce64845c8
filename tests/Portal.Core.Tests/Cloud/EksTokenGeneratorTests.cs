using System.Text;
using System.Web;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Cloud.Aws;
using Portal.Core.Tests.Cloud.Support;

namespace Portal.Core.Tests.Cloud;

public sealed class EksTokenGeneratorTests(CloudEmulator cloud) : IClassFixture<CloudEmulator>
{
    [Fact]
    public async Task CreateToken_IsAPresignedGetCallerIdentityUrl_ThatTheEmulatorAcceptsForThatClusterOnly()
    {
        using var services = cloud.Services();
        var session = await cloud.AssumeAsync(services);

        var token = services.GetRequiredService<EksTokenGenerator>().CreateToken(session, "ml-dev");

        Assert.StartsWith("k8s-aws-v1.", token);
        var encoded = token["k8s-aws-v1.".Length..];
        Assert.DoesNotContain('=', encoded);
        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        var url = new Uri(Encoding.UTF8.GetString(Convert.FromBase64String(encoded.Replace('-', '+').Replace('_', '/').PadRight((encoded.Length + 3) / 4 * 4, '='))));
        var query = HttpUtility.ParseQueryString(url.Query);
        Assert.Equal(cloud.Host.BaseAddress.Authority, url.Authority);
        Assert.Equal(("GetCallerIdentity", "2011-06-15", "60"), (query["Action"], query["Version"], query["X-Amz-Expires"]));
        Assert.Contains("x-k8s-aws-id", query["X-Amz-SignedHeaders"]);
        Assert.Equal(session.Credentials.Token, query["X-Amz-Security-Token"]);

        var (caller, error) = cloud.Host.Clusters.VerifyEksToken(token, "ml-dev");
        Assert.Null(error);
        Assert.Equal(cloud.Role.AccountId, caller!.AccountId);
        Assert.NotNull(cloud.Host.Clusters.VerifyEksToken(token, "another").Error);
    }

    [Fact]
    public async Task CreateToken_IsReused_ThenRenewedBeforeFifteenMinutes()
    {
        using var services = cloud.Services();
        var session = await cloud.AssumeAsync(services);
        var tokens = services.GetRequiredService<EksTokenGenerator>();

        var first = tokens.CreateToken(session, "ml-dev");
        cloud.Clock.Advance(TimeSpan.FromMinutes(5));
        var reused = tokens.CreateToken(session, "ml-dev");
        cloud.Clock.Advance(TimeSpan.FromMinutes(6));
        var renewed = tokens.CreateToken(session, "ml-dev");

        Assert.Equal(first, reused);
        Assert.NotEqual(first, renewed);
        cloud.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.NotNull(cloud.Host.Clusters.VerifyEksToken(first, "ml-dev").Error);
        Assert.Null(cloud.Host.Clusters.VerifyEksToken(renewed, "ml-dev").Error);
        Assert.NotEqual(first, tokens.CreateToken(session, "other-cluster"));
    }

    [Fact]
    public void CreateToken_WithoutAnStsEndpoint_PresignsTheRegionalStsEndpoint()
    {
        using var services = CloudServices.Build(TimeProvider.System, new Dictionary<string, string?>());
        var session = new AwsSession("222222222222", "eu-west-1", new Amazon.Runtime.ImmutableCredentials("ASIAEXAMPLE", "secret", "token"), DateTimeOffset.UtcNow.AddHours(1));

        var token = services.GetRequiredService<EksTokenGenerator>().CreateToken(session, "ml-prod");

        var encoded = token["k8s-aws-v1.".Length..].Replace('-', '+').Replace('_', '/');
        var url = Encoding.UTF8.GetString(Convert.FromBase64String(encoded.PadRight((encoded.Length + 3) / 4 * 4, '=')));
        Assert.StartsWith("https://sts.eu-west-1.amazonaws.com/?", url);
        Assert.Contains("X-Amz-Credential=ASIAEXAMPLE%2F", url);
        Assert.Contains("%2Feu-west-1%2Fsts%2Faws4_request", url);
    }
}
