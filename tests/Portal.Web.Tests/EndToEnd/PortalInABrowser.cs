using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Playwright;
using Portal.Web.Tests.Host;
using Portal.Testing;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>All browser journeys share one portal, one provider and one Chromium, and run one after another.</summary>
/// <remarks>One collection because the host sets process-wide globals (Hangfire's storage) and because starting all
/// of it takes a few seconds that every journey would otherwise pay again.</remarks>
[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<PortalInABrowser>
{
    public const string Name = "End to end in a browser";
}

/// <summary>
/// The portal as users meet it: real Kestrel on a free loopback port, in Staging (not Development, so no development
/// sign-in), on a fresh PostgreSQL database, signing in through the real OpenID Connect provider
/// (<see cref="OidcProviderProcess"/>), driven by Debian's Chromium through Playwright. Each journey opens its own
/// browser context (its own cookies) with <see cref="OpenPageAsync"/> and signs in with <see cref="SignInAsAsync"/>.
/// </summary>
public sealed class PortalInABrowser : IAsyncLifetime
{
    /// <summary>Set to 1 to refresh docs/screenshots/ from this run (CI leaves the tree clean).</summary>
    public const string UpdateScreenshotsVariable = "UPDATE_SCREENSHOTS";

    public static readonly (int Width, int Height) Desktop = (1280, 800);
    public static readonly (int Width, int Height) Narrow = (400, 800);

    private const float SignInTimeoutMs = 60_000;

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

    /// <summary>
    /// The embedded cloud, as a newcomer gets it: the in-process emulator, which accepts whatever account and role a
    /// journey registers for an environment (<c>Cloud.AddPortalCloud</c>'s role hook), with the emulator's lifecycles
    /// shortened from seconds to a moment and the reconciler's and Hangfire's polls to match, so a journey that waits
    /// for Ready waits for the portal's steps, not for simulated AWS clocks. Long enough still for a page to show
    /// Provisioning before Ready.
    /// </summary>
    private static readonly Dictionary<string, string?> EmbeddedCloudSettings = new()
    {
        ["Cloud:Mode"] = "Emulator",
        ["Cloud:Emulator:Lifecycle:ClusterCreate"] = "00:00:01",
        ["Cloud:Emulator:Lifecycle:ClusterUpdate"] = "00:00:01",
        ["Cloud:Emulator:Lifecycle:ClusterDelete"] = "00:00:00",
        ["Cloud:Emulator:Lifecycle:NodegroupCreate"] = "00:00:00.500",
        ["Cloud:Emulator:Lifecycle:NodegroupUpdate"] = "00:00:00.500",
        ["Cloud:Emulator:Lifecycle:NodegroupDelete"] = "00:00:00",
        ["Cloud:Emulator:Kubernetes:ApplicationSyncDelay"] = "00:00:00.200",
        ["Reconciliation:PollInterval"] = "00:00:00.300",
        ["Jobs:SchedulePollingInterval"] = "00:00:00.300",
    };

    private readonly List<IBrowserContext> _contexts = [];
    private OidcProviderProcess? _provider;
    private PortalHostFactory? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _axeSource;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The portal's services, to arrange what a journey takes as given (never to check what the UI should show).</summary>
    public IServiceProvider Services => _host!.Services;

    /// <summary>Screenshots of this run; the README's come from here too (<see cref="UpdateScreenshotsVariable"/>).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "e2e-screenshots");

    public async Task InitializeAsync()
    {
        var port = PostgresServer.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _provider = await OidcProviderProcess.StartAsync(BaseUrl);
        // Outside Development, MudBlazor's CSS and JS (static web assets of a package) are served only when asked for.
        var settings = new Dictionary<string, string?>(_provider.PortalSettings());
        foreach (var (key, value) in EmbeddedCloudSettings) settings[key] = value;
        _host = await PortalHostFactory.OnPostgresAsync("Staging", settings, StaticWebAssetsOutsideDevelopment.AddTo);
        _host.UseKestrel(port);
        _host.StartServer();
        using (var client = ApiClient())
        {
            var css = await client.GetAsync("/_content/MudBlazor/MudBlazor.min.css");
            if (!css.IsSuccessStatusCode)
                throw new InvalidOperationException($"MudBlazor's CSS answered {(int)css.StatusCode}: pages would render unstyled and screenshots lie.");
        }

        var axeFolder = RepositoryPaths.Tests("EndToEnd", "axe");
        await Npm.EnsureInstalledAsync(axeFolder);
        _axeSource = await File.ReadAllTextAsync(Path.Combine(axeFolder, "node_modules", "axe-core", "axe.min.js"));

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    /// <summary>A fresh browser (own cookies, clipboard allowed) with one page at the given window size.</summary>
    public async Task<IPage> OpenPageAsync((int Width, int Height)? size = null)
    {
        var (width, height) = size ?? Desktop;
        var context = await _browser!.NewContextAsync(new()
        {
            BaseURL = BaseUrl,
            ViewportSize = new() { Width = width, Height = height },
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        context.SetDefaultTimeout(15_000);
        lock (_contexts) _contexts.Add(context);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Signs in the way a person does: the portal's sign-in sends the browser to the provider, whose login page takes
    /// any password, then its consent page; the provider sends the browser back and the portal's page becomes interactive.
    /// </summary>
    public async Task SignInAsAsync(IPage page, string login, string returnPath = "/")
    {
        await page.GotoAsync($"/account/sign-in?returnUrl={Uri.EscapeDataString(returnPath)}");
        // The provider's pages (login, then consent) share one submit button class; the portal's layout has the marker.
        var nextStop = page.Locator("input[name=login], button.login-submit, [data-interactive=true]").First;
        for (var step = 0; step < 3; step++)
        {
            // Longer than the default: the first callback of a fresh host (token exchange, first sign-in's writes, the
            // circuit's start) took over 15 s on a loaded 2-core machine.
            await nextStop.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = SignInTimeoutMs });
            if (IsPortal(page.Url)) break;
            if (await page.Locator("input[name=login]").CountAsync() > 0)
            {
                await page.FillAsync("input[name=login]", login);
                await page.FillAsync("input[name=password]", "any-password");
            }
            await page.Locator("button.login-submit").ClickAsync();
        }
        Assert.True(IsPortal(page.Url), $"Signing in as {login} ended at {page.Url}, not back at the portal.");
        await WaitForInteractiveAsync(page);
    }

    public bool IsPortal(string url) => url.StartsWith(BaseUrl, StringComparison.Ordinal);

    public bool IsProvider(string url) => url.StartsWith(_provider!.Issuer, StringComparison.Ordinal);

    /// <summary>Navigates and waits until the page is interactive.</summary>
    public async Task GoToAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await WaitForInteractiveAsync(page);
    }

    /// <summary>
    /// Waits for the Blazor circuit: the prerendered HTML looks ready earlier, but clicks on it do nothing until the
    /// layout renders interactively (it then sets <c>data-interactive="true"</c>).
    /// </summary>
    public static async Task WaitForInteractiveAsync(IPage page) =>
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    /// <summary>Waits until no "Loading…" indicator is left, so screenshots and checks see the loaded page.</summary>
    public static async Task WaitForLoadedAsync(IPage page) =>
        await Assertions.Expect(page.GetByTestId("loading")).ToHaveCountAsync(0);

    /// <summary>Saves a full-page screenshot to <see cref="ScreenshotFolder"/>; with <paramref name="forReadme"/> also to docs/screenshots when asked to.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool forReadme = false)
    {
        await WaitForLoadedAsync(page);
        // MudBlazor animates ripples, popovers and snackbars; let them settle so the picture is stable.
        await page.WaitForTimeoutAsync(300);
        var file = Path.Combine(ScreenshotFolder, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = file, FullPage = true });
        if (forReadme && Environment.GetEnvironmentVariable(UpdateScreenshotsVariable) == "1")
            File.Copy(file, Path.Combine(RepositoryPaths.Root, "docs", "screenshots", $"{name}.png"), overwrite: true);
    }

    /// <summary>
    /// Runs axe-core on the page as it is now and fails on serious or critical violations, listing each with the
    /// elements it found; minor and moderate ones are written to the screenshot folder's axe report only.
    /// </summary>
    public async Task AssertAccessibleAsync(IPage page, string pageName)
    {
        await WaitForLoadedAsync(page);
        // The pointer rests where the last click was: a hovered button is drawn lighter, which is not the page's contrast.
        await page.Mouse.MoveAsync(0, 0);
        // Nor is a dialog half way through fading in: let finite animations end (spinners run forever, so not those).
        await page.EvaluateAsync("""
            () => Promise.all(document.getAnimations()
                .filter(a => a.effect?.getComputedTiming().endTime !== Infinity)
                .map(a => a.finished.catch(() => null)))
            """);
        if (await page.EvaluateAsync<bool>("() => typeof window.axe === 'undefined'"))
            // Evaluated through the DevTools protocol rather than added as an inline <script>: the portal's CSP refuses those.
            await page.EvaluateAsync(_axeSource + "\n;undefined");
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' '))
            }))
            """);
        var all = violations.EnumerateArray().Select(v => new AxeViolation(
            v.GetProperty("id").GetString()!, v.GetProperty("impact").GetString() ?? "unknown", v.GetProperty("help").GetString()!,
            [.. v.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()!)])).ToList();
        await File.AppendAllTextAsync(Path.Combine(ScreenshotFolder, "axe-report.txt"),
            $"{pageName}: {(all.Count == 0 ? "no violations" : string.Join("; ", all.Select(v => $"{v.Impact} {v.Id}")))}{Environment.NewLine}");
        var blocking = all.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(blocking.Count == 0,
            $"axe found {blocking.Count} serious or critical violation(s) on {pageName} ({page.Url}):{Environment.NewLine}" +
            string.Join(Environment.NewLine, blocking.Select(v => $"- [{v.Impact}] {v.Id}: {v.Help}{Environment.NewLine}    {string.Join(Environment.NewLine + "    ", v.Nodes)}")));
    }

    /// <summary>Fails when the page is wider than the window, i.e. the user would have to scroll sideways.</summary>
    public static async Task AssertNoHorizontalOverflowAsync(IPage page, string pageName)
    {
        await WaitForLoadedAsync(page);
        var overflow = await page.EvaluateAsync<string[]>("""
            () => {
                const width = window.innerWidth;
                if (document.documentElement.scrollWidth <= width) return [];
                // The outermost elements that stick out name the culprit better than their many descendants.
                const wide = [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > width + 1);
                return [`${document.documentElement.scrollWidth}px wide in a ${width}px window`,
                    ...wide.filter(e => !wide.includes(e.parentElement)).slice(0, 5)
                        .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)}px)`)];
            }
            """);
        Assert.True(overflow.Length == 0, $"{pageName} scrolls sideways: {string.Join("; ", overflow)}");
    }

    /// <summary>A script's HTTP client: the portal's API with <c>Authorization: Bearer</c>.</summary>
    public HttpClient ApiClient(string? bearerToken = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        if (bearerToken is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        return client;
    }

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts) await context.CloseAsync();
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
        if (_provider is not null) await _provider.DisposeAsync();
    }

    private sealed record AxeViolation(string Id, string Impact, string Help, IReadOnlyList<string> Nodes);
}
