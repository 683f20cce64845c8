using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Portal.Testing;

namespace Portal.Api.Tests.Security;

/// <summary>Request bodies over their endpoint's limit are refused with a 413 problem that states the limit.</summary>
[Trait("Category", "Reliability")]
public sealed class RequestBodyLimitTests(InputWorld world) : IClassFixture<InputWorld>
{
    private const long MiB = 1024 * 1024;

    /// <summary>The endpoints allowed more than the 1 MiB default, and why: a whole price list, a kubeconfig.</summary>
    private static long LimitOf(WriteOperation operation) => operation.Template switch
    {
        "/api/v1/admin/prices" => 8 * MiB,
        "/api/v1/teams/{team}/clusters:attach" => 2 * MiB,
        _ => MiB,
    };

    [Fact]
    public async Task EveryOperationWithABody_Refuses_OneByteOverItsLimit_With413StatingTheLimit()
    {
        var operations = WriteOperation.From(world.Document).Where(o => o.ContentTypes.Count > 0).ToList();
        Assert.True(operations.Count >= 15, $"only {operations.Count} operations take a body");
        foreach (var operation in operations)
        {
            var limit = LimitOf(operation);
            var url = string.Concat(operation.Template.Split('{', '}').Select((part, i) => i % 2 == 1 ? Uri.EscapeDataString(world.PathValue(operation, operation.PathParameters.Single(p => p.Name == part))) : part));
            using var request = new HttpRequestMessage(new HttpMethod(operation.Method), url) { Content = JsonBodyOfLength(limit + 1) };

            var response = await world.CallerOf(operation).SendAsync(request);

            var problem = await response.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge);
            Assert.Equal(limit, (long)problem["limitBytes"]!);
            Assert.Contains($"{limit / MiB} MiB", (string?)problem["detail"]);
        }
    }

    [Fact]
    public async Task AChunkedBodyWithoutALength_IsRefusedAtTheLimitToo()
    {
        var content = JsonBodyOfLength(MiB + 1);
        using var request = new HttpRequestMessage(HttpMethod.Patch, world.Team.Url) { Content = new StreamContent(await content.ReadAsStreamAsync()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;

        var response = await world.Team.Owner.Client.SendAsync(request);

        await response.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task AKubeconfigAttachOverTheDefaultButUnderItsOwnLimit_ReachesValidation()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{world.Team.Url}/clusters:attach") { Content = JsonBodyOfLength(MiB + MiB / 2, "kubeconfig") };

        var response = await world.Team.Owner.Client.SendAsync(request);

        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await response.ExpectProblemAsync(HttpStatusCode.BadRequest);
    }

    private static ByteArrayContent JsonBodyOfLength(long length, string field = "padding")
    {
        var prefix = $"{{\"{field}\":\"";
        const string suffix = "\"}";
        var body = Encoding.UTF8.GetBytes(prefix + new string('a', (int)length - prefix.Length - suffix.Length) + suffix);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}

/// <summary>The portal with a tiny request budget, so the limiter's answers can be seen in a few requests.</summary>
public sealed class RateLimitedApiFactory : ApiFactory
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("RateLimiting:Burst", "3");
        builder.UseSetting("RateLimiting:PermitsPerMinute", "1");
        builder.UseSetting("RateLimiting:AnonymousBurst", "2");
        builder.UseSetting("RateLimiting:AnonymousPermitsPerMinute", "1");
    }
}

[Trait("Category", "Reliability")]
public sealed class RateLimitTests(RateLimitedApiFactory api) : IClassFixture<RateLimitedApiFactory>
{
    [Fact]
    public async Task ATokenOverItsBudget_Gets429ProblemWithRetryAfter_WhileAnotherTokenOfTheSameUserDoesNot()
    {
        var user = await api.CreateUserAsync("busy");
        var second = await api.ClientWithScopesAsync(user, Portal.Core.Tokens.TokenScopes.Read);
        for (var i = 0; i < 3; i++) await (await user.Client.GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);

        var throttled = await user.Client.GetAsync("/api/v1/me");

        var problem = await throttled.ExpectProblemAsync(HttpStatusCode.TooManyRequests);
        var retryAfter = int.Parse(throttled.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(retryAfter, (int)problem["retryAfterSeconds"]!);
        await (await second.GetAsync("/api/v1/me")).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnonymousCallers_ArePartitionedByAddress_ButHealthProbesAreNeverThrottled()
    {
        var anonymous = api.Anonymous();
        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) answers.Add((await anonymous.GetAsync("/openapi/v1.json")).StatusCode);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
    }
}
