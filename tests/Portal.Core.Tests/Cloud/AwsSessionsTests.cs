using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Cloud.Aws;
using Portal.Core.Tests.Cloud.Support;

namespace Portal.Core.Tests.Cloud;

public sealed class AwsSessionsTests(CloudEmulator cloud) : IClassFixture<CloudEmulator>
{
    [Fact]
    public async Task AssumeAsync_WithTheEnvironmentsExternalId_ReturnsTemporaryCredentialsInTheRolesAccount()
    {
        using var services = cloud.Services();

        var session = await cloud.AssumeAsync(services);

        Assert.Equal(cloud.Role.AccountId, session.AccountId);
        Assert.Equal("us-east-1", session.Region);
        Assert.StartsWith("ASIA", session.Credentials.AccessKey);
        Assert.False(string.IsNullOrEmpty(session.Credentials.Token));
        Assert.InRange(session.Expiration - cloud.Clock.GetUtcNow(), TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
        Assert.DoesNotContain(session.Credentials.SecretKey, session.ToString());
    }

    [Fact]
    public async Task AssumeAsync_WithAWrongExternalId_ThrowsAccessDeniedNamingTheRole()
    {
        using var services = cloud.Services();

        var e = await Assert.ThrowsAsync<AwsServiceException>(() =>
            services.GetRequiredService<AwsSessions>().AssumeAsync(cloud.Role.RoleArn, "guessed", "us-east-1", "mallory"));

        Assert.True(e.IsAccessDenied, e.Message);
        Assert.False(e.IsRetryable);
        Assert.Equal("AssumeRole", e.Operation);
        Assert.Contains(cloud.Role.RoleArn, e.Message);
    }

    [Fact]
    public async Task AssumeAsync_ManyConcurrentCalls_AssumeTheRoleOnce()
    {
        using var services = cloud.Services();
        var before = cloud.Host.Calls.Count("sts", "AssumeRole");

        var sessions = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => cloud.AssumeAsync(services)));

        Assert.Single(sessions.Select(s => s.Credentials.AccessKey).Distinct());
        Assert.Equal(before + 1, cloud.Host.Calls.Count("sts", "AssumeRole"));
    }

    [Fact]
    public async Task AssumeAsync_FiveMinutesBeforeExpiry_AssumesTheRoleAgain_AndTheNewCredentialsWork()
    {
        using var services = cloud.Services();
        var before = cloud.Host.Calls.Count("sts", "AssumeRole");
        var first = await cloud.AssumeAsync(services);

        cloud.Clock.Advance(first.Expiration - cloud.Clock.GetUtcNow() - TimeSpan.FromMinutes(6));
        var stillCached = await cloud.AssumeAsync(services);
        cloud.Clock.Advance(TimeSpan.FromMinutes(2));
        var refreshed = await cloud.AssumeAsync(services);

        Assert.Same(first, stillCached);
        Assert.NotEqual(first.Credentials.AccessKey, refreshed.Credentials.AccessKey);
        Assert.True(refreshed.Expiration > first.Expiration);
        Assert.Equal(before + 2, cloud.Host.Calls.Count("sts", "AssumeRole"));
        await services.Eks().ListClustersAsync(refreshed);
    }

    [Fact]
    public async Task AssumeAsync_CachesPerRegion()
    {
        using var services = cloud.Services();

        var east = await cloud.AssumeAsync(services);
        var west = await services.GetRequiredService<AwsSessions>().AssumeAsync(cloud.Role.RoleArn, cloud.Role.ExternalId, "us-west-2", "alice");

        Assert.Equal("us-west-2", west.Region);
        Assert.NotEqual(east.Credentials.AccessKey, west.Credentials.AccessKey);
    }

    [Theory]
    [InlineData("alice@example.com", "unicron-portal@alice@example.com")]
    [InlineData("Bob Smith (ops)", "unicron-portal@Bob-Smith--ops-")]
    [InlineData("", "unicron-portal")]
    [InlineData("zoë/ü", "unicron-portal@zo---")]
    public void SessionNameFor_KeepsWhatStsAccepts(string user, string expected) =>
        Assert.Equal(expected, AwsSessions.SessionNameFor("unicron-portal", user));

    [Fact]
    public void SessionNameFor_ALongUser_IsCutAt64Characters()
    {
        var name = AwsSessions.SessionNameFor("unicron-portal", new string('a', 100));

        Assert.Equal(64, name.Length);
        Assert.Matches(@"^[\w+=,.@-]{2,64}$", name);
    }
}
