using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Portal.Core.Endpoints.Promql;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Resource.Jobs;
using Portal.Core.Endpoints.Spec;
using Portal.Web.Components.Pages.Endpoints;

namespace Portal.Web.Tests.Components.Endpoints;

public sealed class CreateEndpointWizardTests : EndpointUiTest
{
    private const int GpuStep = 2, AutoscalingStep = 3, CanaryStep = 4, ReviewStep = 5;

    [Fact]
    public async Task WithoutAGpuType_TheReviewSendsPeopleBackToTheGpuStep_AndSendsNothing()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        FillValidTriton(page, chooseGpu: false);

        Step(page, ReviewStep);

        page.WaitForElement("[data-testid=endpoint-review-invalid]");
        Assert.Contains("needs attention", page.Find($"[data-testid=endpoint-wizard-step-{GpuStep}]").TextContent);
        Assert.True(page.Find("[data-testid=endpoint-wizard-submit]").HasAttribute("disabled"));
        Step(page, GpuStep);
        Assert.Contains("GPU type '' is not a GPU type the platform offers", page.Find("[data-testid=gpu-type-error]").TextContent);
        Assert.Empty((await Endpoints.ListAsync(Owner, TeamSlug, ClusterName, new EndpointQuery(), CancellationToken.None)).Items);
        Assert.DoesNotContain(Jobs.Jobs, j => j.Type == typeof(ReconcileEndpointJob));
    }

    [Fact]
    public async Task AnUnknownGpuType_FromTheLink_IsNamedOnTheGpuStep_WithTheTypesOnOffer()
    {
        SignIn(Maintainer);
        var page = RenderWizard(gpu: "Z9");
        FillValidTriton(page, chooseGpu: false);
        Step(page, ReviewStep);

        Step(page, GpuStep);
        var error = page.WaitForElement("[data-testid=gpu-type-error]").TextContent;
        Assert.Contains("'Z9' is not a GPU type the platform offers", error);
        Assert.Contains("L4", error);
        Assert.Contains("A10G", error);
        // Choosing one clears the way to the manifests.
        await page.Find("button[data-testid=gpu-choose][data-name=L4]").ClickAsync(new MouseEventArgs());
        Step(page, ReviewStep);
        page.WaitForElement("[data-testid=endpoint-review-manifests]");
    }

    [Fact]
    public async Task MinAboveMax_ShowsAtOnce_AndTheRulesMessageLandsOnTheMinimumField()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        FillValidTriton(page);
        Step(page, AutoscalingStep);
        await page.Find("input[data-testid=endpoint-min]").ChangeAsync(new ChangeEventArgs { Value = "5" });
        await page.Find("input[data-testid=endpoint-max]").ChangeAsync(new ChangeEventArgs { Value = "2" });
        Assert.Contains("The minimum (5) is above the maximum (2).", page.Find("[data-testid=endpoint-min-above-max]").TextContent);

        Step(page, ReviewStep);
        page.WaitForElement("[data-testid=endpoint-review-invalid]");
        Assert.Contains("needs attention", page.Find($"[data-testid=endpoint-wizard-step-{AutoscalingStep}]").TextContent);
        Step(page, AutoscalingStep);
        Assert.Contains("Minimum replicas must not exceed maxReplicas (2).", page.Markup);
        Assert.Equal("5", page.Find("input[data-testid=endpoint-min]").GetAttribute("value"));
    }

    [Fact]
    public async Task ABadQuery_ShowsTheErrorAndItsPosition_WhileTyping_AndAValidOneClearsIt()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        Step(page, AutoscalingStep);
        const string bad = "sum(rate(nv_inference_request_success[1m])";
        var expected = PromqlSyntax.Check(bad)!;

        await page.Find("[data-testid=trigger-query] textarea").InputAsync(new ChangeEventArgs { Value = bad });

        page.WaitForAssertion(() => Assert.Contains($"Not valid PromQL: {expected.Message} (line {expected.Line}, column {expected.Column}).",
            page.Find("[data-testid=trigger-query]").TextContent));
        var caret = page.Find("[data-testid=promql-caret]").TextContent.Split('\n');
        Assert.Equal(bad, caret[0]);
        Assert.Equal(expected.Column - 1, caret[1].IndexOf('^'));

        await page.Find("[data-testid=trigger-query] textarea").InputAsync(new ChangeEventArgs { Value = bad + ")" });
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=promql-caret]")));
        Assert.Contains("Valid PromQL.", page.Find("[data-testid=trigger-query]").TextContent);
    }

    [Fact]
    public async Task TheExamples_FollowTheRuntime_AndOnlyTheUpstreamQueueCanWakeFromZero()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        await page.Find("input[data-testid=endpoint-name]").InputAsync(new ChangeEventArgs { Value = "resnet" });
        Step(page, AutoscalingStep);
        var examples = page.FindAll("[data-testid=query-example]");
        Assert.Contains(examples, e => e.TextContent.Contains("nv_inference_pending_request_count{namespace=\"team-data-science\",service=\"resnet-metrics\"}"));
        Assert.Equal("true", examples.Single(e => e.TextContent.Contains("aws_sqs_")).GetAttribute("data-works-at-zero"));
        Assert.All(examples.Where(e => e.TextContent.Contains("nv_")), e => Assert.Equal("false", e.GetAttribute("data-works-at-zero")));

        // Using one fills the query and its threshold.
        await examples.First().QuerySelector("[data-testid=query-example-use]")!.ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.Contains("nv_inference_pending_request_count", page.Find("[data-testid=trigger-query] textarea").GetAttribute("value") ?? page.Find("[data-testid=trigger-query] textarea").TextContent));
        Assert.Equal("5", page.Find("input[data-testid=trigger-threshold]").GetAttribute("value"));

        Step(page, 0);
        await page.Find("input[data-testid=endpoint-runtime-tensorflow-serving]").ClickAsync(new MouseEventArgs());
        Step(page, AutoscalingStep);
        Assert.Contains(":tensorflow:serving:request_count", page.Find("[data-testid=query-examples]").TextContent);
        Assert.DoesNotContain("nv_inference", page.Find("[data-testid=query-examples]").TextContent);
    }

    [Fact]
    public async Task MinZero_ShowsTheWakeUpCaveat()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        Step(page, AutoscalingStep);
        await page.Find("input[data-testid=endpoint-min]").ChangeAsync(new ChangeEventArgs { Value = "1" });
        Assert.Empty(page.FindAll("[data-testid=scale-to-zero-note]"));
        await page.Find("input[data-testid=endpoint-min]").ChangeAsync(new ChangeEventArgs { Value = "0" });
        var note = page.Find("[data-testid=scale-to-zero-note]").TextContent;
        Assert.Contains("503", note);
        Assert.Contains("UNAVAILABLE", note);
    }

    [Theory]
    [InlineData(101)]
    [InlineData(-1)]
    public async Task ACanaryWeightOutside0To100_IsRefusedOnItsField(int weight)
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        FillValidTriton(page);
        Step(page, CanaryStep);
        await page.Find("input[data-testid=canary-enabled]").ChangeAsync(new ChangeEventArgs { Value = true });
        await page.Find("input[data-testid=canary-version]").ChangeAsync(new ChangeEventArgs { Value = "4" });
        await page.Find("input[data-testid=canary-weight]").ChangeAsync(new ChangeEventArgs { Value = weight.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Contains("Canary weight must be from 0 to 100.", page.Find("[data-testid=canary-editor]").TextContent);

        Step(page, ReviewStep);
        page.WaitForElement("[data-testid=endpoint-review-invalid]");
        Assert.Contains("needs attention", page.Find($"[data-testid=endpoint-wizard-step-{CanaryStep}]").TextContent);
        Step(page, CanaryStep);
        Assert.Contains("Canary weight must be a percentage from 0 to 100 of the requests the canary receives.", page.Find("[data-testid=canary-editor]").TextContent);
    }

    [Fact]
    public async Task TheGpuPicker_ShowsModelMemoryGpusPerInstanceAndPrice_FromTheCatalogue()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        Step(page, GpuStep);

        var gpus = Service<GpuTypes>();
        Assert.Equal(gpus.All.Select(g => g.Name), page.FindAll("[data-testid=gpu-option]").Select(r => r.GetAttribute("data-name")));
        var l4 = page.Find("[data-testid=gpu-option][data-name=L4]");
        Assert.Equal("22.4 GiB", l4.QuerySelector("[data-testid=gpu-memory]")!.TextContent.Trim());
        Assert.Equal("1, 4 or 8", l4.QuerySelector("[data-testid=gpu-per-instance]")!.TextContent.Trim());
        Assert.Equal("from $0.8048/h (g6.xlarge)", l4.QuerySelector("[data-testid=gpu-price]")!.TextContent.Trim());
        Assert.Contains("g6.xlarge", l4.QuerySelector("[data-testid=gpu-node]")!.TextContent);
        Assert.Contains("$1.006/h (g5.xlarge)", page.Find("[data-testid=gpu-option][data-name=A10G] [data-testid=gpu-price]").TextContent);

        // More CPU than a g6.xlarge leaves to pods moves one replica to a bigger node of the same GPU.
        await page.Find("input[data-testid=endpoint-cpu]").ChangeAsync(new ChangeEventArgs { Value = "7" });
        var node = page.Find("[data-testid=gpu-option][data-name=L4] [data-testid=gpu-node]").TextContent;
        Assert.DoesNotContain("g6.xlarge", node);
        Assert.Contains("g6.2xlarge", node);

        await page.Find("button[data-testid=gpu-choose][data-name=L4]").ClickAsync(new MouseEventArgs());
        Assert.Equal("true", page.Find("[data-testid=gpu-option][data-name=L4]").GetAttribute("data-selected"));
    }

    [Fact]
    public async Task TheReview_ShowsTheRenderedManifests_AndDeployingCreatesTheEndpointAndOpensItsPage()
    {
        SignIn(Maintainer);
        var page = RenderWizard();
        FillValidTriton(page);

        Step(page, ReviewStep);

        var yaml = page.WaitForElement("[data-testid=endpoint-review-manifests-yaml]").TextContent;
        Assert.Contains("kind: Deployment", yaml);
        Assert.Contains("kind: ScaledObject", yaml);
        Assert.Contains("kind: Ingress", yaml);
        // Quantities are strings in the objects and stay strings in the YAML.
        Assert.Contains("nvidia.com/gpu: \"1\"", yaml);
        Assert.Contains("namespace: team-data-science", yaml);
        Assert.Contains("minReplicaCount: 0", yaml);
        Assert.Contains("maxReplicaCount: 8", yaml);
        Assert.Contains("nvcr.io/nvidia/tritonserver", yaml);
        Assert.Contains("1 × L4 per replica", page.Find("[data-testid=summary-gpu]").TextContent);
        Assert.Contains("0–8", page.Find("[data-testid=summary-replicas]").TextContent);

        await page.Find("[data-testid=endpoint-wizard-submit]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.EndsWith($"/teams/{TeamSlug}/clusters/{ClusterName}/endpoints/resnet", Service<NavigationManager>().Uri));
        var stored = (await Endpoints.GetAsync(Owner, TeamSlug, ClusterName, "resnet", CancellationToken.None)).Endpoint;
        Assert.Equal(EndpointRuntime.Triton, stored.Spec.Runtime);
        Assert.Equal(EndpointProtocol.Grpc, stored.Spec.Protocol);
        Assert.Equal("L4", stored.Spec.Gpu.Type);
        Assert.Equal((0, 8), (stored.Spec.Autoscaling.MinReplicas, stored.Spec.Autoscaling.MaxReplicas));
        Assert.Equal(QueueQuery, Assert.Single(stored.Spec.Autoscaling.Triggers).Query);
        Assert.Single(Jobs.Jobs, j => j.Type == typeof(ReconcileEndpointJob));
    }

    [Fact]
    public async Task ANameAlreadyUsedOnTheCluster_IsShownOnTheNameField()
    {
        await CreateEndpointAsync(Triton("resnet"));
        SignIn(Maintainer);
        var page = RenderWizard();
        FillValidTriton(page);
        Step(page, ReviewStep);
        page.WaitForElement("[data-testid=endpoint-review-manifests]");

        await page.Find("[data-testid=endpoint-wizard-submit]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Equal("step", page.Find("[data-testid=endpoint-wizard-step-0]").GetAttribute("aria-current")));
        Assert.Contains("already has an endpoint named 'resnet'", page.Markup);
    }

    [Fact]
    public async Task AViewer_IsToldWhoCanDeploy_AndGetsNoForm()
    {
        SignIn(Viewer);
        var page = RenderPage<CreateEndpointPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Cluster, ClusterName));
        page.WaitForElement("[data-testid=endpoint-wizard-read-only]");
        Assert.Empty(page.FindAll("input"));
    }

    private IRenderedComponent<CreateEndpointPage> RenderWizard(string? gpu = null)
    {
        // A query parameter comes from the address, as in the browser.
        if (gpu is not null) Service<NavigationManager>().NavigateTo($"/teams/{TeamSlug}/clusters/{ClusterName}/endpoints/new?gpu={Uri.EscapeDataString(gpu)}");
        var page = RenderPage<CreateEndpointPage>(p => p.Add(x => x.Team, TeamSlug).Add(x => x.Cluster, ClusterName));
        page.WaitForElement("[data-testid=endpoint-wizard-next]");
        return page;
    }

    private static void Step(IRenderedComponent<CreateEndpointPage> page, int step) => page.Find($"[data-testid=endpoint-wizard-step-{step}]").Click();

    /// <summary>A Triton endpoint serving gRPC on an L4, 0–8 replicas on an upstream queue: everything valid.</summary>
    private static void FillValidTriton(IRenderedComponent<CreateEndpointPage> page, bool chooseGpu = true)
    {
        Step(page, 0);
        page.Find("input[data-testid=endpoint-name]").Input("resnet");
        page.Find("input[data-testid=endpoint-runtime-triton]").Click();
        page.Find("input[data-testid=endpoint-protocol-grpc]").Click();
        Step(page, 1);
        page.Find("input[data-testid=endpoint-model-uri]").Change("s3://acme-models/vision/resnet");
        page.Find("input[data-testid=endpoint-model-name]").Change("resnet");
        page.Find("input[data-testid=endpoint-model-version]").Change("3");
        if (chooseGpu)
        {
            Step(page, GpuStep);
            page.Find("button[data-testid=gpu-choose][data-name=L4]").Click();
        }
        Step(page, AutoscalingStep);
        page.Find("input[data-testid=endpoint-min]").Change("0");
        page.Find("input[data-testid=endpoint-max]").Change("8");
        page.Find("[data-testid=trigger-query] textarea").Input(QueueQuery);
    }
}
