using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Access;
using Portal.Core.Tokens;
using Portal.Web.Components.Pages.Tokens;

namespace Portal.Web.Tests.Components.Tokens;

public sealed class TokensPageTests : PortalUiTest
{
    private PortalActor _me = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _me = await SignInAsync("tess");
    }

    [Fact]
    public void ANewcomer_SeesTheEmptyState()
    {
        var page = RenderPage<TokensPage>();
        page.WaitForElement("[data-testid=tokens-empty]");
    }

    [Fact]
    public async Task CreatingAToken_ShowsTheSecretOnce_AndAfterAReloadTheListShowsOnlyTheHint()
    {
        var page = RenderPage<TokensPage>();
        await page.WaitForElement("[data-testid=token-new-button]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=token-name]").ChangeAsync(new ChangeEventArgs { Value = "CI deploy" });
        await page.Find("[data-testid=token-create-form]").SubmitAsync();

        var secret = page.WaitForElement("[data-testid=token-secret]").TextContent.Trim();
        Assert.StartsWith(TokenService.SecretPrefix, secret);
        Assert.Contains("will not be able to see it again", page.Find("[data-testid=token-secret-once]").TextContent);
        Assert.NotNull(page.Find("[data-testid=token-secret-copy]"));
        // The secret is real: the API would accept it.
        Assert.NotNull(await Service<TokenService>().AuthenticateAsync(secret, CancellationToken.None));

        // Navigating away and back (or reloading) builds the page afresh: the secret is gone for good.
        await LeavePageAsync();
        var reloaded = RenderPage<TokensPage>();
        var row = reloaded.WaitForElement("[data-testid=token-row]");
        Assert.Empty(reloaded.FindAll("[data-testid=token-secret]"));
        Assert.DoesNotContain(secret, reloaded.Markup);
        var hint = row.QuerySelector("[data-testid=token-hint]")!.TextContent.Trim();
        Assert.StartsWith(TokenService.SecretPrefix, hint);
        Assert.True(hint.Length < secret.Length);
        Assert.Contains("CI deploy", row.TextContent);
        Assert.Contains("read", row.TextContent);
        Assert.Equal("active", row.QuerySelector("[data-testid=token-state]")!.TextContent.Trim());
    }

    [Fact]
    public async Task RevokingAToken_AfterConfirmation_MarksItRevoked_AndTheApiRefusesIt()
    {
        var created = await Service<TokenService>().CreateAsync(_me, new NewToken("nightly job", TokenScopes.Read | TokenScopes.Write, null), CancellationToken.None);
        var page = RenderPage<TokensPage>();

        page.WaitForElement("[data-testid=token-revoke]").Click();
        var confirm = Dialogs.WaitForElement("button:contains('Revoke')");
        Assert.Contains("stop working", Dialogs.Markup);
        await confirm.ClickAsync();

        page.WaitForAssertion(() => Assert.Equal("revoked", page.Find("[data-testid=token-state]").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-testid=token-revoke]"));
        Assert.Null(await Service<TokenService>().AuthenticateAsync(created.Secret, CancellationToken.None));
    }

    [Fact]
    public async Task CancellingTheRevokeConfirmation_LeavesTheTokenActive()
    {
        await Service<TokenService>().CreateAsync(_me, new NewToken("keep me", TokenScopes.Read, null), CancellationToken.None);
        var page = RenderPage<TokensPage>();

        page.WaitForElement("[data-testid=token-revoke]").Click();
        await Dialogs.WaitForElement("button:contains('Cancel')").ClickAsync();

        page.WaitForAssertion(() => Assert.Equal("active", page.Find("[data-testid=token-state]").TextContent.Trim()));
    }

    [Fact]
    public async Task CreatingAToken_WithoutANameOrScopes_ShowsTheFieldMessages()
    {
        var page = RenderPage<TokensPage>();
        await page.WaitForElement("[data-testid=token-new-button]").ClickAsync(new MouseEventArgs());
        await page.Find("[data-testid=token-scope-read]").ChangeAsync(new ChangeEventArgs { Value = false });
        await page.Find("[data-testid=token-create-form]").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains("Name is required.", page.Markup));
        Assert.Contains("Scopes must name at least one of read, write, admin.", page.Find("[data-testid=token-scopes-error]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=token-secret]"));
    }

    [Fact]
    public async Task TheAdminScope_IsOfferedOnlyToPlatformAdmins()
    {
        var page = RenderPage<TokensPage>();
        await page.WaitForElement("[data-testid=token-new-button]").ClickAsync(new MouseEventArgs());

        Assert.Empty(page.FindAll("[data-testid=token-scope-admin]"));
    }
}
