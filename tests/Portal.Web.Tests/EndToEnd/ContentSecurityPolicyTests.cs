using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;
using Portal.Testing;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// The Content-Security-Policy in real Chromium: the main pages, Swagger UI and the jobs dashboard load, become
/// interactive and run without a single violation (no "Refused to …" in the console, no securitypolicyviolation
/// event), and an injected inline script is refused — so the policy is both livable and actually enforced.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class ContentSecurityPolicyTests(PortalInABrowser portal)
{
    private static readonly string[] BlazorPages =
        ["/", "/teams", "/clusters", "/catalog", "/catalog/mlflow", "/tokens", "/admin/teams", "/admin/audit", "/admin/maturity-overrides", "/admin/costs"];

    /// <summary>Pages that are not Blazor: their own scripts and styles must live with the same policy.</summary>
    private static readonly string[] OtherPages = ["/api/docs/index.html", "/ops/jobs"];

    /// <summary>Records violations from the first script of every document, before the page's own scripts run.</summary>
    private const string ViolationRecorder = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e =>
            window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`));
        """;

    [Fact]
    public async Task MainPages_RunWithoutAnyCspViolation_AndInlineScriptIsRefused()
    {
        var page = await portal.OpenPageAsync();
        var console = new ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Refused to", StringComparison.Ordinal) || message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
                console.Enqueue($"{page.Url}: {message.Text}");
        };
        await page.AddInitScriptAsync(ViolationRecorder);
        await portal.SignInAsAsync(page, "alice");

        var visited = new List<string>();
        foreach (var path in BlazorPages)
        {
            var response = await page.GotoAsync(path);
            Assert.Contains("frame-ancestors 'none'", await response!.HeaderValueAsync("content-security-policy") ?? "");
            await PortalInABrowser.WaitForInteractiveAsync(page);
            await AssertNoViolationsAsync(page, console, path);
            visited.Add(path);
        }
        foreach (var path in OtherPages)
        {
            await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.NetworkIdle });
            // Swagger UI builds its operations list in script from the fetched document: blocked scripts would leave none.
            if (path.StartsWith("/api/docs", StringComparison.Ordinal))
                await Assertions.Expect(page.Locator(".swagger-ui .opblock").First).ToBeAttachedAsync();
            await AssertNoViolationsAsync(page, console, path);
            visited.Add(path);
        }

        // The policy is enforced, not merely sent: a script injected into the page (as an XSS would) does not run.
        await page.GotoAsync("/");
        await PortalInABrowser.WaitForInteractiveAsync(page);
        await page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__injected = true'; document.body.appendChild(s); }");
        await Assertions.Expect(page.Locator("body")).ToBeAttachedAsync();
        var injected = await page.EvaluateAsync<bool>("() => window.__injected === true");
        Assert.False(injected, "an inline script ran: the CSP is not enforced");
        var refused = await page.EvaluateAsync<string[]>("() => window.__cspViolations");
        Assert.Contains(refused, v => v.StartsWith("script-src", StringComparison.Ordinal));

        ReliabilityReport.Write("WEB", Report(visited));
    }

    private static async Task AssertNoViolationsAsync(IPage page, ConcurrentQueue<string> console, string path)
    {
        // Violations are reported asynchronously; give the event loop a turn before reading them.
        await page.EvaluateAsync("() => new Promise(resolve => setTimeout(resolve, 50))");
        var violations = await page.EvaluateAsync<JsonElement>("() => window.__cspViolations || []");
        var all = violations.EnumerateArray().Select(v => v.GetString()!).Concat(console).ToList();
        Assert.True(all.Count == 0, $"{path}: the Content-Security-Policy blocked something:{Environment.NewLine}{string.Join(Environment.NewLine, all)}");
    }

    private static string Report(IReadOnlyList<string> pages) => $"""
        Latest passing run: in Chromium, signed in as a platform admin, **{pages.Count} pages** ({string.Join(", ", pages.Select(p => $"`{p}`"))})
        loaded and became interactive with **0 CSP violations** (console "Refused to…" and `securitypolicyviolation` events), and an
        injected inline script was refused. The host tests (`tests/Portal.Web.Tests/Host/WebSecurityTests.cs`) check the headers on
        pages, problems, probes and 404s, HSTS in Production over https only, the session cookie (HttpOnly, SameSite=Lax, Secure over
        https), the antiforgery cookie and token on the sign-in post, and 10 offsite `returnUrl` forms that must all land on `/`.
        Policy: `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:;
        connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self' [identity provider]; frame-ancestors 'none'`.
        """;
}
