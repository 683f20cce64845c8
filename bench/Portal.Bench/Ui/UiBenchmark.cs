using System.Diagnostics;
using Microsoft.Playwright;
using Portal.Bench.Dataset;
using Portal.Bench.Reads;

namespace Portal.Bench.Ui;

/// <summary>
/// P4 (issue 10): with the P1 dataset, how long the dashboard, a team page and the cluster list take in Chromium
/// until they are usable (Blazor circuit connected, nothing left loading, the page heading visible), signed in as the
/// owner of the biggest team; and the portal process's memory at rest afterwards.
/// </summary>
public sealed class UiBenchmark : IBenchmark
{
    public const double RenderTargetMs = 1000;
    public const double MemoryTargetMb = 300;
    private const int Visits = 5;

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

    public string Id => "P4";

    public string Title => "UI: time to a usable page in Chromium, memory at rest";

    public async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var dataset = await ReadDataset.GetAsync(context, context.Settings.Scale, ct);
        var team = dataset.BigTeams[0];
        await using var portal = PortalUnderTest.Start(dataset.ConnectionString);
        var (cookieName, cookieValue) = await portal.CreateSessionCookieAsync($"bench|{team}-u0", ct);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });
        var pages = new (string Name, string Path)[] { ("dashboard", "/"), ($"team page ({team})", $"/teams/{team}"), ("cluster list", "/clusters") };
        foreach (var (name, path) in pages)
        {
            var times = new List<double>();
            for (var visit = 0; visit <= Visits; visit++)
            {
                // A fresh browser context per visit: no cached circuit, as a person opening the page in a new tab.
                await using var browserContext = await browser.NewContextAsync(new() { BaseURL = portal.BaseUrl, ViewportSize = new() { Width = 1280, Height = 800 } });
                await browserContext.AddCookiesAsync([new Cookie { Name = cookieName, Value = cookieValue, Url = portal.BaseUrl, HttpOnly = true }]);
                browserContext.SetDefaultTimeout(60_000);
                var page = await browserContext.NewPageAsync();
                var watch = Stopwatch.StartNew();
                double elapsed;
                try
                {
                    // Not the load event: what counts is the usable page, whatever else is still downloading.
                    await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.Commit });
                    await page.Locator("[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
                    await Assertions.Expect(page.GetByTestId("loading")).ToHaveCountAsync(0, new() { Timeout = 60_000 });
                    await page.Locator("h1").First.WaitForAsync(new() { State = WaitForSelectorState.Visible });
                    elapsed = watch.Elapsed.TotalMilliseconds;
                }
                catch (TimeoutException e)
                {
                    var body = await page.ContentAsync();
                    throw new InvalidOperationException($"{name} was not usable after {watch.Elapsed.TotalSeconds:0} s at {page.Url}: {body[..Math.Min(body.Length, 600)]}", e);
                }
                if (!page.Url.StartsWith(portal.BaseUrl + path, StringComparison.Ordinal))
                    throw new InvalidOperationException($"{name}: the browser ended at {page.Url}, not {path}: the session cookie was not accepted.");
                // The first visit also pays for the process's first render of that page (JIT, caches): shown, not judged.
                if (visit == 0) context.Record(new BenchResult(Id, name, "first visit", elapsed, "ms"));
                else times.Add(elapsed);
            }
            times.Sort();
            var median = times[times.Count / 2];
            context.Record(new BenchResult(Id, name, $"usable page (median of {Visits})", median, "ms", $"≤ {RenderTargetMs:0} ms", median <= RenderTargetMs,
                median > RenderTargetMs ? $"{median / RenderTargetMs:0.0}× the target" : null));
        }

        // At rest: the circuits closed with their contexts, then a full blocking GC and a moment for the runtime to give memory back.
        await browser.CloseAsync();
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var workingSetMb = process.WorkingSet64 / 1024.0 / 1024.0;
        // The portal runs inside the benchmark process, so this working set is an upper bound of the portal's own.
        context.Record(new BenchResult(Id, "portal process at rest", "working set", workingSetMb, "MB", $"≤ {MemoryTargetMb:0} MB", workingSetMb <= MemoryTargetMb,
            workingSetMb > MemoryTargetMb ? "includes the benchmark harness (the portal is hosted in-process)" : null));
        context.Record(new BenchResult(Id, "portal process at rest", "managed heap", GC.GetTotalMemory(forceFullCollection: false) / 1024.0 / 1024.0, "MB"));
    }
}
