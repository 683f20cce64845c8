using Microsoft.EntityFrameworkCore;

namespace Portal.Api.Tests.Conventions;

public sealed class IdempotencyTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task RetryWithTheSameKeyAndBody_ReplaysTheFirstAnswerExactly()
    {
        var owner = await api.CreateUserAsync("owner");
        var slug = Names.Slug();
        var key = Guid.NewGuid().ToString();

        var first = await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "Once" }, key);
        var retry = await owner.Client.PostJsonAsync("/api/v1/teams", new { slug, displayName = "Once" }, key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(first.Headers.ETag, retry.Headers.ETag);
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        await using var db = api.Db();
        Assert.Equal(1, await db.Teams.CountAsync(t => t.Slug == slug));
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "team.create" && a.TargetId == slug));
    }

    [Fact]
    public async Task SameKeyWithAnotherBody_Returns422()
    {
        var owner = await api.CreateUserAsync("owner");
        var key = Guid.NewGuid().ToString();
        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug = Names.Slug(), displayName = "A" }, key)).ExpectAsync(HttpStatusCode.Created);

        var other = Names.Slug();
        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug = other, displayName = "B" }, key)).ExpectProblemAsync(HttpStatusCode.UnprocessableEntity);

        await using var db = api.Db();
        Assert.False(await db.Teams.AnyAsync(t => t.Slug == other));
    }

    [Fact]
    public async Task KeysAreScopedToTheCaller()
    {
        var alice = await api.CreateUserAsync("alice");
        var bob = await api.CreateUserAsync("bob");
        var key = Guid.NewGuid().ToString();

        await (await alice.Client.PostJsonAsync("/api/v1/teams", new { slug = Names.Slug(), displayName = "A" }, key)).ExpectAsync(HttpStatusCode.Created);
        var bobs = await bob.Client.PostJsonAsync("/api/v1/teams", new { slug = Names.Slug(), displayName = "B" }, key);

        await bobs.ExpectAsync(HttpStatusCode.Created);
        Assert.False(bobs.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task AFailedRequest_ReleasesItsKey()
    {
        var owner = await api.CreateUserAsync("owner");
        var key = Guid.NewGuid().ToString();

        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug = "Bad Slug", displayName = "A" }, key)).ExpectProblemAsync(HttpStatusCode.BadRequest, "slug");
        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug = Names.Slug(), displayName = "A" }, key)).ExpectAsync(HttpStatusCode.Created);
    }

    // Concurrent bursts (100 requests, every resource kind with POST) are the R3 suite: DuplicateRequestTests.

    [Fact]
    public async Task ReplayingATokenCreation_NeverStoresOrRepeatsTheSecret()
    {
        var user = await api.CreateUserAsync("scripter");
        var key = Guid.NewGuid().ToString();

        var first = await (await user.Client.PostJsonAsync("/api/v1/tokens", new { name = "ci", scopes = new[] { "read" } }, key)).ExpectAsync(HttpStatusCode.Created);
        var retry = await (await user.Client.PostJsonAsync("/api/v1/tokens", new { name = "ci", scopes = new[] { "read" } }, key)).ExpectAsync(HttpStatusCode.Created);

        var secret = (string)first["secret"]!;
        Assert.Equal((string?)first["id"], (string?)retry["id"]);
        Assert.Null((string?)retry["secret"]);
        await using var db = api.Db();
        var stored = await db.IdempotencyRecords.ToListAsync();
        Assert.DoesNotContain(stored, r => System.Text.Encoding.UTF8.GetString(r.Body).Contains(secret[8..]));
        Assert.Equal(1, await db.ApiTokens.CountAsync(t => t.UserId == user.Id && t.Name == "ci"));
    }

    [Fact]
    public async Task AnOversizedKey_Returns400NamingTheHeader()
    {
        var owner = await api.CreateUserAsync("owner");

        await (await owner.Client.PostJsonAsync("/api/v1/teams", new { slug = Names.Slug(), displayName = "A" }, new string('k', 300)))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "Idempotency-Key");
    }
}
