using System.Security.Claims;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Core;
using Portal.Core.Access;
using Portal.Core.Users;
using Portal.Testing;
using Portal.Web.Identity;

namespace Portal.Web.Tests.Components;

/// <summary>
/// The one bunit set-up for the portal's components: MudBlazor, loose JS interop, an authentication state for a
/// signed-in persona, <see cref="CurrentActor"/>, and the real Core services (registered by <c>AddPortalCore</c>
/// itself) over a real SQLite database migrated with the real migrations. Nothing is mocked but the browser.
/// </summary>
public abstract class PortalUiTest : BunitContext, IAsyncLifetime
{
    public const string AdminGroup = "platform-admins";

    private string? _databasePath;
    private BunitAuthorizationContext? _authorization;

    public virtual async Task InitializeAsync()
    {
        _databasePath = await SqliteDatabase.CreateMigratedAsync();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(o => o.SnackbarConfiguration.ShowTransitionDuration = 0);
        // Core binds its options from configuration, as in the host; this is the test's appsettings.
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["Database:SqlitePath"] = _databasePath,
            ["Auth:AdminGroups:0"] = AdminGroup,
        }).Build());
        Services.AddPortalCore();
        // ClusterService enqueues reconciles through Hangfire's client; recorded here, as no job storage runs in bunit.
        Services.AddSingleton<Hangfire.IBackgroundJobClient, Clusters.RecordingJobClient>();
        _authorization = AddAuthorization();
        // CurrentActor reads the client address from the circuit's first request; there is none in bunit.
        Services.AddHttpContextAccessor();
        Services.AddScoped<CurrentActor>();
        // In the app the antiforgery token comes from the first HTTP request; bunit has none, so hand it one.
        Services.AddSingleton<AntiforgeryStateProvider>(new FixedAntiforgery());
        ConfigureServices(Services);
    }

    /// <summary>A test's own replacements (an in-memory add-on catalogue, ...), registered before anything is resolved.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    private sealed class FixedAntiforgery : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new("test-antiforgery-token", "__RequestVerificationToken");
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        // MudBlazor's services are async-disposable only: disposing synchronously fails.
        await DisposeAsync();
        if (_databasePath is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { File.Delete(_databasePath); } catch (IOException) { /* a leftover temp file is harmless */ }
        }
    }

    protected T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Someone who has signed in once (so the portal knows them), without becoming the current user.</summary>
    protected async Task<PortalActor> CreateUserAsync(string name, bool platformAdmin = false)
    {
        var user = await Service<UserService>().SignInAsync(
            new SignInIdentity($"subject-{name}", $"{name}@example.test", Capitalize(name), platformAdmin ? [AdminGroup] : []),
            CancellationToken.None);
        return new PortalActor(user.Id, user.DisplayName, user.IsPlatformAdmin, PortalActor.AllScopes);
    }

    /// <summary>Signs a persona in: the authentication state carries the claims the portal's sign-in sets.</summary>
    protected async Task<PortalActor> SignInAsync(string name, bool platformAdmin = false)
    {
        var actor = await CreateUserAsync(name, platformAdmin);
        SignIn(actor);
        return actor;
    }

    protected void SignIn(PortalActor actor)
    {
        _authorization!.SetAuthorized(actor.Name);
        var claims = new List<Claim>
        {
            new(PortalActor.ClaimTypes.UserId, actor.UserId.ToString()),
            new(PortalActor.ClaimTypes.Name, actor.Name),
        };
        if (actor.IsPlatformAdmin) claims.Add(new Claim(PortalActor.ClaimTypes.PlatformAdmin, "true"));
        _authorization.SetClaims([.. claims]);
    }

    protected void SignOut() => _authorization!.SetNotAuthorized();

    /// <summary>Where dialogs and message boxes render (MainLayout hosts it in the app).</summary>
    protected IRenderedComponent<MudDialogProvider> Dialogs =>
        _dialogs ?? throw new InvalidOperationException("Render a page with RenderPage first.");

    /// <summary>Where snackbar messages render.</summary>
    protected IRenderedComponent<MudSnackbarProvider> Snackbars =>
        _snackbars ?? throw new InvalidOperationException("Render a page with RenderPage first.");

    /// <summary>Where menus and select lists render their items.</summary>
    protected IRenderedComponent<MudPopoverProvider> Popovers =>
        _popovers ?? throw new InvalidOperationException("Render a page with RenderPage first.");

    private IRenderedComponent<MudPopoverProvider>? _popovers;
    private IRenderedComponent<MudDialogProvider>? _dialogs;
    private IRenderedComponent<MudSnackbarProvider>? _snackbars;

    /// <summary>
    /// Renders a page beside the providers MainLayout gives it (popovers for selects and menus, dialogs, snackbars):
    /// they share the context's services, so a dialog the page opens appears in <see cref="Dialogs"/>.
    /// </summary>
    protected IRenderedComponent<TPage> RenderPage<TPage>(Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent
    {
        if (_dialogs is null)
        {
            _popovers = Render<MudPopoverProvider>();
            _dialogs = Render<MudDialogProvider>();
            _snackbars = Render<MudSnackbarProvider>();
        }
        return parameters is null ? Render<TPage>() : Render<TPage>(parameters);
    }

    /// <summary>
    /// What a reload or navigating away does to a page: every rendered component (and its memory) is disposed, so
    /// the next <see cref="RenderPage{TPage}"/> starts from what the services return.
    /// </summary>
    protected async Task LeavePageAsync()
    {
        await DisposeComponentsAsync();
        _popovers = null;
        _dialogs = null;
        _snackbars = null;
    }

    private static string Capitalize(string name) => char.ToUpperInvariant(name[0]) + name[1..];
}
