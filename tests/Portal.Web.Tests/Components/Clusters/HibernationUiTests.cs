using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Clusters;
using Portal.Core.Persistence;
using Portal.Web.Components.Pages.Clusters;
using Portal.Web.Components.Pages.Costs;
using Portal.Web.Components.Shared;
using Portal.Web.Components.Shared.Clusters;

namespace Portal.Web.Tests.Components.Clusters;

/// <summary>Hibernation in the UI: the sleep switch in the pool editor, the asleep badge and "Wake now", the cost page's card.</summary>
public sealed class HibernationUiTests : ClusterUiTest
{
    private static readonly NodePoolScheduleSpec OfficeHours = new("Europe/Madrid",
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], "08:00", "18:00");

    private async Task SleepingClusterAsync(string name)
    {
        await RequestClusterAsync(name, null, Pool("nightly") with { Schedule = OfficeHours }, Pool("general"));
        await MarkReadyAsync(name);
        await WriteStatusAsync(name, c => c.NodePools.Single(p => p.Name == "nightly").Asleep = true);
    }

    private IRenderedComponent<ClusterPage> RenderCluster(string name) =>
        RenderPage<ClusterPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Name, name).Add(x => x.PollInterval, TimeSpan.FromMinutes(5)));

    [Fact]
    public async Task AsleepPool_ShowsItsScheduleAndBadge_AndWakeNowWakesItInOneClick()
    {
        await SleepingClusterAsync("dev");
        SignIn(Maintainer);
        var page = RenderCluster("dev");

        var row = page.WaitForElement("[data-testid=node-pool-row][data-name=nightly]");
        Assert.Contains("Runs Mon–Fri 08:00–18:00 Europe/Madrid", row.QuerySelector("[data-testid=node-pool-schedule-text]")!.TextContent);
        Assert.Contains("asleep until", row.QuerySelector("[data-testid=node-pool-asleep-badge]")!.TextContent);
        Assert.Null(page.Find("[data-testid=node-pool-row][data-name=general]").QuerySelector("[data-testid=node-pool-wake]"));
        var reconcilesBefore = Jobs.Jobs.Count;

        await row.QuerySelector("[data-testid=node-pool-wake]")!.ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=node-pool-row][data-name=nightly] [data-testid=node-pool-awake-badge]")));
        await using var db = await Service<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var pool = await db.NodePools.SingleAsync(p => p.Name == "nightly");
        Assert.NotNull(pool.WakeUntil);
        Assert.True(pool.WakeUntil > DateTimeOffset.UtcNow);
        Assert.True(Jobs.Jobs.Count > reconcilesBefore);
        Assert.Contains(await db.AuditEntries.ToListAsync(), a => a.Action == "cluster.node-pool.wake");
    }

    [Fact]
    public async Task AViewer_SeesTheBadge_ButNoWakeButton()
    {
        await SleepingClusterAsync("dev");
        SignIn(Viewer);
        var page = RenderCluster("dev");

        page.WaitForElement("[data-testid=node-pool-asleep-badge]");
        Assert.Empty(page.FindAll("[data-testid=node-pool-wake]"));
    }

    [Fact]
    public async Task SleepSwitch_ShowsZoneDaysAndHours_AndPutsTheScheduleInTheSpec()
    {
        var draft = new NodePoolDraft { Name = "dev", InstanceTypes = ["m5.large"] };
        var errors = new FieldErrors();
        var editor = Render<NodePoolEditor>(p => p.Add(x => x.Pools, [draft]).Add(x => x.Errors, errors));
        Assert.Empty(editor.FindAll("input[data-testid=node-pool-timezone]"));
        Assert.Null(draft.ToSpec().Schedule);

        await editor.Find("input[data-testid=node-pool-sleeps]").ChangeAsync(new ChangeEventArgs { Value = true });
        editor.Render();

        Assert.Equal("Europe/Madrid", editor.Find("input[data-testid=node-pool-timezone]").GetAttribute("value"));
        Assert.Equal(7, editor.FindAll("[data-testid=node-pool-day]").Count);
        Assert.Equal(new NodePoolScheduleSpec("Europe/Madrid", OfficeHours.WorkingDays, "08:00", "18:00") with { WorkingDays = null },
            draft.ToSpec().Schedule! with { WorkingDays = null });
        Assert.Equal(OfficeHours.WorkingDays, draft.ToSpec().Schedule!.WorkingDays);

        // The service's messages land on the schedule's fields.
        errors.Set("nodePools[0].schedule.timeZone", "'Mars/Olympus' is not an IANA time zone such as Europe/Madrid.");
        editor.Render();
        Assert.Contains("is not an IANA time zone", editor.Find("[data-testid=node-pool-schedule]").TextContent);
        Assert.True(NodePoolEditor.Shows("nodePools[0].schedule.timeZone"));
    }

    [Fact]
    public async Task TheCostPage_ListsSleepingPools_AndSaysWhenTheRegionHasNoPrices()
    {
        await SleepingClusterAsync("dev");
        SignIn(Maintainer);
        var page = RenderPage<TeamCostsPage>(p => p.Add(x => x.Team, TeamSlug));

        var row = page.WaitForElement("[data-testid=sleeping-pool][data-pool=nightly]");
        Assert.Equal("dev", row.GetAttribute("data-cluster"));
        Assert.Contains("Mon–Fri 08:00–18:00 Europe/Madrid", row.TextContent);
        Assert.NotNull(row.QuerySelector("[data-testid=sleeping-pool-asleep]"));
        // The team's environment is in eu-west-1, which has no price table: said, not guessed.
        Assert.Contains("eu-west-1", row.QuerySelector("[data-testid=sleeping-pool-saving]")!.TextContent);
        Assert.Single(page.FindAll("[data-testid=sleeping-pool]"));
    }
}
