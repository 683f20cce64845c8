using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Events;
using Portal.Web.Components.Pages.Clusters;
using Portal.Web.Components.Pages.Endpoints;

namespace Portal.Web.Tests.Components.Endpoints;

public sealed class EndpointPageTests : EndpointUiTest
{
    /// <summary>Polling is real time on a shared, busy machine: generous waits, never a sleep.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static readonly string[] WriteControls = ["endpoint-actions", "endpoint-edit-button", "endpoint-delete-button", "endpoint-editor"];

    [Fact]
    public async Task StatusUrlsEventsAndManifests_Render_AndFollowTheReconcilerWithoutReload()
    {
        await CreateEndpointAsync(Triton());
        SignIn(Maintainer);
        var page = RenderEndpoint("resnet", poll: TimeSpan.FromMilliseconds(200));

        page.WaitForAssertion(() => Assert.Equal("Pending", page.Find("[data-testid=endpoint-phase]").GetAttribute("data-phase")));
        Assert.Equal("requested", Assert.Single(page.FindAll("[data-testid=endpoint-event]")).GetAttribute("data-step"));
        Assert.NotNull(page.Find("[data-testid=endpoint-progress]"));
        Assert.NotNull(page.Find("[data-testid=endpoint-urls-none]"));
        var yaml = page.Find("[data-testid=endpoint-manifests-yaml]").TextContent;
        Assert.Contains("kind: ScaledObject", yaml);
        Assert.Contains("name: resnet", yaml);

        await WriteEndpointStatusAsync("resnet", e =>
        {
            e.Phase = EndpointPhase.Ready;
            e.ObservedGeneration = e.Generation;
            e.ReadyReplicas = 2;
            e.DesiredReplicas = 3;
            e.Urls = ["grpcs://resnet-grpc.data-science.inference.unicron.local:443"];
            e.ScalingReason = "The queue query is at 25 (threshold 10 per replica): scaling to 3.";
            e.Message = "Serving.";
            e.LastError = "The model folder s3://acme-models/vision/resnet/4 does not exist: upload it or pick another version.";
            e.SetCondition("Available", "True", "ReplicasReady", "2 of 3 replicas ready.", DateTimeOffset.UtcNow);
        }, ("ready", EventOutcome.Succeeded, "2 replicas ready."));

        page.WaitForAssertion(() => Assert.Equal("Ready", page.Find("[data-testid=endpoint-phase]").GetAttribute("data-phase")), Patience);
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=endpoint-event]").Count), Patience);
        Assert.Equal("ready", page.FindAll("[data-testid=endpoint-event]")[0].GetAttribute("data-step")); // newest first
        Assert.Contains("2 ready of 3 desired", page.Find("[data-testid=endpoint-replicas]").TextContent);
        Assert.Contains("scaling to 3", page.Find("[data-testid=endpoint-scaling-reason]").TextContent);
        Assert.Contains("does not exist: upload it", page.Find("[data-testid=endpoint-last-error]").TextContent);
        Assert.Equal("grpcs://resnet-grpc.data-science.inference.unicron.local:443", page.Find("[data-testid=endpoint-url]").GetAttribute("data-url"));
        Assert.NotNull(page.Find("[data-testid=endpoint-url] [data-testid=endpoint-url-copy]"));
        Assert.Equal("True", page.Find("[data-testid=endpoint-condition][data-type=Available]").GetAttribute("data-status"));
        Assert.Empty(page.FindAll("[data-testid=endpoint-progress]"));
        // The chart's readings came from the polls: the pending zeros first, then the new counts.
        Assert.Equal(["0", "0"], Counts(page.FindAll("[data-testid=replica-sample]")[0]));
        Assert.Equal(["2", "3"], Counts(page.FindAll("[data-testid=replica-sample]")[^1]));
    }

    [Fact]
    public async Task EditingTheCanaryWeight_SendsTheVersionRead_AndAChangeMeanwhileIsReportedNotOverwritten()
    {
        await CreateEndpointAsync(Triton(canary: new CanarySpec("4", 10)));
        SignIn(Maintainer);
        var page = RenderEndpoint("resnet");
        await page.WaitForElement("[data-testid=endpoint-edit-button]").ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=canary-weight]").ChangeAsync(new ChangeEventArgs { Value = "30" });

        // Someone else changes the endpoint while the editor is open.
        var current = (await Endpoints.GetAsync(Owner, TeamSlug, ClusterName, "resnet", CancellationToken.None)).Endpoint;
        await Endpoints.UpdateAsync(Owner, TeamSlug, ClusterName, "resnet", current.Spec with { Autoscaling = current.Spec.Autoscaling with { MaxReplicas = 6 } },
            current.Version, CancellationToken.None);
        await page.Find("[data-testid=endpoint-edit-save]").ClickAsync(new MouseEventArgs());

        page.WaitForElement("[data-testid=endpoint-stale]");
        var stored = (await Endpoints.GetAsync(Owner, TeamSlug, ClusterName, "resnet", CancellationToken.None)).Endpoint;
        Assert.Equal(10, stored.Spec.Rollout!.Canary!.Weight);
        Assert.Equal("30", page.Find("input[data-testid=canary-weight]").GetAttribute("value"));

        // Saving again is based on the version now shown.
        await page.Find("[data-testid=endpoint-edit-save]").ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=endpoint-editor]")));
        stored = (await Endpoints.GetAsync(Owner, TeamSlug, ClusterName, "resnet", CancellationToken.None)).Endpoint;
        Assert.Equal(30, stored.Spec.Rollout!.Canary!.Weight);
        Assert.Equal(3, stored.Generation);
    }

    [Fact]
    public async Task AnInvalidEdit_ShowsTheRulesMessageOnItsField_AndChangesNothing()
    {
        await CreateEndpointAsync(Triton());
        SignIn(Maintainer);
        var page = RenderEndpoint("resnet");
        await page.WaitForElement("[data-testid=endpoint-edit-button]").ClickAsync(new MouseEventArgs());
        await page.Find("input[data-testid=endpoint-min]").ChangeAsync(new ChangeEventArgs { Value = "9" });
        await page.Find("[data-testid=endpoint-edit-save]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains("Minimum replicas must not exceed maxReplicas (8).", page.Find("[data-testid=endpoint-editor]").TextContent));
        Assert.Equal(1, (await Endpoints.GetAsync(Owner, TeamSlug, ClusterName, "resnet", CancellationToken.None)).Endpoint.Generation);
    }

    [Fact]
    public async Task Deleting_NeedsTheNameTyped_ThenAsksForDeletion()
    {
        await CreateEndpointAsync(Triton());
        SignIn(Maintainer);
        var page = RenderEndpoint("resnet");
        page.WaitForElement("[data-testid=endpoint-delete-button]").Click();

        var confirm = Dialogs.WaitForElement("[data-testid=endpoint-delete-confirm]");
        Assert.True(confirm.HasAttribute("disabled"));
        await Dialogs.Find("input[data-testid=endpoint-delete-confirm-name]").InputAsync(new ChangeEventArgs { Value = "resne" });
        Assert.True(Dialogs.Find("[data-testid=endpoint-delete-confirm]").HasAttribute("disabled"));
        await Dialogs.Find("input[data-testid=endpoint-delete-confirm-name]").InputAsync(new ChangeEventArgs { Value = "resnet" });
        await Dialogs.Find("[data-testid=endpoint-delete-confirm]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Equal("Deleting", page.Find("[data-testid=endpoint-phase]").GetAttribute("data-phase")));
        Assert.Empty(page.FindAll("[data-testid=endpoint-actions]"));
        var stored = (await Endpoints.GetAsync(Owner, TeamSlug, ClusterName, "resnet", CancellationToken.None)).Endpoint;
        Assert.NotNull(stored.DeletionRequestedAt);
    }

    [Fact]
    public async Task AViewer_SeesStatusAndManifests_ButNoControlThatChangesTheEndpoint()
    {
        await CreateEndpointAsync(Triton());
        SignIn(Viewer);
        var page = RenderEndpoint("resnet");
        page.WaitForElement("[data-testid=endpoint-manifests-yaml]");
        foreach (var id in WriteControls) Assert.Empty(page.FindAll($"[data-testid={id}]"));
    }

    [Fact]
    public async Task AnotherTeamsMember_GetsNotFound()
    {
        await CreateEndpointAsync(Triton());
        await SignInAsync("stranger");
        var page = RenderEndpoint("resnet");
        page.WaitForAssertion(() => Assert.Contains("has no endpoint 'resnet'", page.Markup));
        Assert.Empty(page.FindAll("[data-testid=endpoint-manifests]"));
    }

    [Fact]
    public async Task TheClusterPage_ListsEndpoints_WithAnEmptyStateFirst()
    {
        SignIn(Maintainer);
        var page = RenderPage<ClusterPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Name, ClusterName));
        page.WaitForElement("[data-testid=endpoint-list-empty]");
        Assert.Equal($"/teams/{TeamSlug}/clusters/{ClusterName}/endpoints/new", page.Find("[data-testid=endpoint-new-button]").GetAttribute("href"));
        await LeavePageAsync();

        await CreateEndpointAsync(Triton("resnet"));
        await CreateEndpointAsync(Triton("bert", gpu: "A10G", min: 1, max: 2));
        await WriteEndpointStatusAsync("resnet", e =>
        {
            e.Phase = EndpointPhase.Ready;
            e.ReadyReplicas = 1;
            e.DesiredReplicas = 1;
            e.Urls = ["grpcs://resnet-grpc.data-science.inference.unicron.local:443"];
        });
        page = RenderPage<ClusterPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Name, ClusterName));
        page.WaitForElement("[data-testid=endpoint-table]");
        var rows = page.FindAll("[data-testid=endpoint-row]");
        Assert.Equal(["bert", "resnet"], rows.Select(r => r.GetAttribute("data-name")));
        var resnet = rows[1];
        Assert.Equal("triton", resnet.QuerySelector("[data-testid=endpoint-row-runtime]")!.TextContent.Trim());
        Assert.Equal("1 × L4", resnet.QuerySelector("[data-testid=endpoint-row-gpu]")!.TextContent.Trim());
        Assert.Equal("Ready", resnet.QuerySelector("[data-testid=endpoint-phase]")!.GetAttribute("data-phase"));
        Assert.StartsWith("1 / 1", resnet.QuerySelector("[data-testid=endpoint-row-replicas]")!.TextContent.Trim());
        Assert.Contains("resnet-grpc.data-science", resnet.QuerySelector("[data-testid=endpoint-row-urls]")!.TextContent);
        Assert.Equal("1 × A10G", rows[0].QuerySelector("[data-testid=endpoint-row-gpu]")!.TextContent.Trim());
        Assert.Equal($"/teams/{TeamSlug}/clusters/{ClusterName}/endpoints/resnet", resnet.QuerySelector("a[data-testid=endpoint-link]")!.GetAttribute("href"));
    }

    [Fact]
    public async Task AViewer_SeesTheListWithoutANewEndpointButton()
    {
        SignIn(Viewer);
        var page = RenderPage<ClusterPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Name, ClusterName));
        page.WaitForElement("[data-testid=endpoint-list-empty]");
        Assert.Empty(page.FindAll("[data-testid=endpoint-new-button]"));
        await Task.CompletedTask;
    }

    /// <summary>Ready and desired of one chart reading (the table row's last two cells).</summary>
    private static string[] Counts(AngleSharp.Dom.IElement row) => [.. row.Children.Skip(1).Select(c => c.TextContent.Trim())];

    private IRenderedComponent<EndpointPage> RenderEndpoint(string name, TimeSpan? poll = null) =>
        RenderPage<EndpointPage>(p =>
        {
            p.Add(x => x.Team, TeamSlug);
            p.Add(x => x.Cluster, ClusterName);
            p.Add(x => x.Name, name);
            if (poll is { } interval) p.Add(x => x.PollInterval, interval);
        });
}
