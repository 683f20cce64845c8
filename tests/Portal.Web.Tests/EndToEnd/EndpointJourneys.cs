using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Core.Access;
using Portal.Core.Cloud.Aws;
using Portal.Core.Cloud.Kubernetes;
using Portal.Core.Clusters;
using Portal.Core.Environments;
using Portal.Core.Teams;
using Portal.Emulator.Kubernetes.Specs;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using EmulatorJson = Portal.Emulator.Kubernetes.Json;
using EnvironmentName = Portal.Core.Environments.EnvironmentName;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>
/// Journey 4 (issue 6): on a Ready cluster, an owner deploys a Triton endpoint on an L4 GPU serving gRPC that scales
/// from 0 to 8 on a Prometheus queue-length query, sees its status, URLs and rendered manifests, then adds a second
/// endpoint on an A10G to the same cluster. The cluster's own creation is journey 2's; here it is given.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class EndpointJourneys(PortalInABrowser portal, ITestOutputHelper output)
{
    private const float ReadyTimeoutMs = 120_000;
    private const string Team = "team-foxtrot";
    private const string ClusterName = "foxtrot-dev";

    /// <summary>
    /// What the core bootstrap's KEDA and Prometheus stack charts install, made sure of before the journey (the
    /// emulated cluster may already have them from its core Applications).
    /// </summary>
    private static readonly string[] CoreCrds = ["keda.sh_scaledobjects.yaml", "keda.sh_triggerauthentications.yaml", "monitoring.coreos.com_servicemonitors.yaml"];

    [Fact]
    public async Task Journey4_AnOwnerDeploysATritonEndpointOnAnL4ScalingFromZero_ThenASecondOnAnA10G()
    {
        var clock = Stopwatch.StartNew();
        await GivenReadyClusterAsync();
        output.WriteLine($"{clock.Elapsed}: cluster ready");
        var page = await portal.OpenPageAsync();
        await portal.SignInAsAsync(page, "dora", $"/teams/{Team}/clusters/{ClusterName}");

        // The cluster page has an empty endpoint list whose call to action starts the wizard.
        await Expect(page.GetByTestId("endpoint-list-empty")).ToBeVisibleAsync();
        await page.GetByTestId("endpoint-new-button").ClickAsync();
        await page.WaitForURLAsync($"**/teams/{Team}/clusters/{ClusterName}/endpoints/new");
        await PortalInABrowser.WaitForInteractiveAsync(page);

        // 1. Triton over gRPC.
        await page.GetByTestId("endpoint-name").FillAsync("resnet");
        await Expect(page.GetByText("'resnet' is a valid name")).ToBeVisibleAsync();
        await page.GetByTestId("endpoint-runtime-triton").ClickAsync();
        await page.GetByTestId("endpoint-protocol-grpc").ClickAsync();
        await Expect(page.GetByTestId("endpoint-runtime-facts")).ToContainTextAsync("tritonserver");
        await NextAsync(page);
        // 2. The model.
        await FillAsync(page, "endpoint-model-uri", "s3://delta-models/vision/resnet");
        await FillAsync(page, "endpoint-model-name", "resnet");
        await FillAsync(page, "endpoint-model-version", "3");
        await NextAsync(page);
        // 3. An L4, chosen on its memory and price.
        var l4 = page.Locator("[data-testid=gpu-option][data-name=L4]");
        await Expect(l4.GetByTestId("gpu-memory")).ToHaveTextAsync("22.4 GiB");
        await Expect(l4.GetByTestId("gpu-price")).ToContainTextAsync("$0.8048/h");
        await l4.GetByTestId("gpu-choose").ClickAsync();
        await Expect(l4).ToHaveAttributeAsync("data-selected", "true");
        await NextAsync(page);
        // 4. 0 to 8 replicas on the queue in front of the endpoint: the example that can wake it from zero.
        await FillAsync(page, "endpoint-min", "0");
        await FillAsync(page, "endpoint-max", "8");
        await Expect(page.GetByTestId("scale-to-zero-note")).ToContainTextAsync("503");
        await page.Locator("[data-testid=query-example][data-works-at-zero=true]").GetByTestId("query-example-use").ClickAsync();
        await Expect(page.Locator("[data-testid=trigger-query]")).ToContainTextAsync("Valid PromQL.");
        await FillAsync(page, "trigger-activation", "1");
        await NextAsync(page);
        // 5. No canary. 6. The review shows what will run.
        await NextAsync(page);
        var review = page.GetByTestId("endpoint-review-manifests-yaml");
        await Expect(review).ToContainTextAsync("kind: ScaledObject");
        await Expect(review).ToContainTextAsync("minReplicaCount: 0");
        await Expect(review).ToContainTextAsync("maxReplicaCount: 8");
        await Expect(page.GetByTestId("summary-gpu")).ToContainTextAsync("1 × L4 per replica");
        await portal.AssertAccessibleAsync(page, "endpoint wizard, review step");
        await page.GetByTestId("endpoint-wizard-submit").ClickAsync();
        await page.WaitForURLAsync($"**/teams/{Team}/clusters/{ClusterName}/endpoints/resnet");
        await PortalInABrowser.WaitForInteractiveAsync(page);

        // The page follows the reconciler by itself to Ready, with the gRPC URL and the manifests.
        await page.EvaluateAsync("() => { window.journey4SameDocument = true; }");
        await Expect(page.Locator("[data-testid=endpoint-phase][data-phase=Ready]")).ToBeVisibleAsync(new() { Timeout = ReadyTimeoutMs });
        output.WriteLine($"{clock.Elapsed}: resnet Ready");
        Assert.True(await page.EvaluateAsync<bool>("() => window.journey4SameDocument === true"), "The endpoint page was reloaded on the way to Ready.");
        await Expect(page.Locator($"[data-testid=endpoint-url][data-url='grpcs://resnet-grpc.{Team}.inference.unicron.local:443']")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("endpoint-url-copy")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("endpoint-replicas")).ToContainTextAsync("ready of");
        await Expect(page.GetByTestId("endpoint-scaling-reason")).Not.ToHaveTextAsync("No scaling decision reported yet.");
        await Expect(page.GetByTestId("endpoint-manifests-yaml")).ToContainTextAsync("kind: Deployment");
        await Expect(page.GetByTestId("endpoint-manifests-yaml")).ToContainTextAsync("aws_sqs_approximate_number_of_messages_visible_average");
        await Expect(page.Locator("[data-testid=endpoint-event][data-step=requested]")).ToBeVisibleAsync();
        await Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
        await PortalInABrowser.ScreenshotAsync(page, "endpoint-page");
        await portal.AssertAccessibleAsync(page, "endpoint page, Ready");

        // A second endpoint on an A10G in the same cluster, from the list's button.
        await portal.GoToAsync(page, $"/teams/{Team}/clusters/{ClusterName}");
        await Expect(page.Locator("[data-testid=endpoint-row][data-name=resnet]")).ToBeVisibleAsync();
        await page.GetByTestId("endpoint-new-button").ClickAsync();
        await page.WaitForURLAsync($"**/endpoints/new");
        await PortalInABrowser.WaitForInteractiveAsync(page);
        await page.GetByTestId("endpoint-name").FillAsync("bert");
        await Expect(page.GetByText("'bert' is a valid name")).ToBeVisibleAsync();
        await NextAsync(page);
        await FillAsync(page, "endpoint-model-uri", "s3://delta-models/text/bert");
        await FillAsync(page, "endpoint-model-name", "bert");
        await NextAsync(page);
        await page.Locator("[data-testid=gpu-option][data-name=A10G]").GetByTestId("gpu-choose").ClickAsync();
        await NextAsync(page);
        await FillAsync(page, "endpoint-min", "1");
        await FillAsync(page, "endpoint-max", "2");
        await page.GetByTestId("query-example-use").First.ClickAsync();
        await NextAsync(page);
        await NextAsync(page);
        await Expect(page.GetByTestId("endpoint-review-manifests-yaml")).ToContainTextAsync("kind: ScaledObject");
        await page.GetByTestId("endpoint-wizard-submit").ClickAsync();
        await page.WaitForURLAsync($"**/endpoints/bert");
        await Expect(page.Locator("[data-testid=endpoint-phase][data-phase=Ready]")).ToBeVisibleAsync(new() { Timeout = ReadyTimeoutMs });
        output.WriteLine($"{clock.Elapsed}: bert Ready");

        // Both on the cluster's list, each on its own GPU type.
        await portal.GoToAsync(page, $"/teams/{Team}/clusters/{ClusterName}");
        await Expect(page.GetByTestId("endpoint-row")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=endpoint-row][data-name=resnet]").GetByTestId("endpoint-row-gpu")).ToHaveTextAsync("1 × L4");
        await Expect(page.Locator("[data-testid=endpoint-row][data-name=bert]").GetByTestId("endpoint-row-gpu")).ToHaveTextAsync("1 × A10G");
        await Expect(page.Locator("[data-testid=endpoint-row][data-name=bert]").GetByTestId("endpoint-phase")).ToHaveAttributeAsync("data-phase", "Ready");
        await portal.AssertAccessibleAsync(page, "cluster page with two endpoints");
        output.WriteLine($"{clock.Elapsed}: journey done");
    }

    private static async Task NextAsync(IPage page) => await page.GetByTestId("endpoint-wizard-next").ClickAsync();

    /// <summary>Fields bound on change: leave the field so the form takes the value before the next click.</summary>
    private static async Task FillAsync(IPage page, string testId, string value)
    {
        var field = page.Locator($"input[data-testid={testId}]");
        await field.FillAsync(value);
        await field.PressAsync("Tab");
    }

    /// <summary>The owner's team with its dev environment and a Ready cluster, set up through the services, plus the core CRDs.</summary>
    private async Task GivenReadyClusterAsync()
    {
        using var scope = portal.Services.CreateScope();
        var services = scope.ServiceProvider;
        var system = PortalActor.System;
        await services.GetRequiredService<TeamService>().CreateTeamAsync(system,
            new NewTeam(Team, "Team Foxtrot", "Serves vision and text models.", "CC-4004", $"founder-{Team}@example.test"), default);
        await services.GetRequiredService<MemberService>().AddMemberAsync(system, Team, "dora@example.test", TeamRole.Owner, default);
        var environment = await services.GetRequiredService<EnvironmentService>().RegisterAsync(system, Team,
            new NewEnvironment(EnvironmentName.Dev, "510987654321", "eu-west-1", "arn:aws:iam::510987654321:role/foxtrot-provisioner", null), default);
        var clusters = services.GetRequiredService<ClusterService>();
        await clusters.RequestClusterAsync(system, Team,
            new NewCluster(ClusterName, EnvironmentName.Dev, [new NodePoolSpec("general", ["m5.large"], CapacityType.OnDemand, 1, 2, 3)], null), default);

        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(ReadyTimeoutMs);
        Cluster cluster;
        while ((cluster = (await clusters.GetAsync(system, Team, ClusterName, default)).Cluster).Phase != ClusterPhase.Ready)
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException($"Cluster {ClusterName} is {cluster.Phase}: {cluster.Message} {cluster.LastError}");
            await Task.Delay(200);
        }

        await InstallCoreCrdsAsync(services, environment, cluster);
    }

    /// <summary>
    /// Makes sure the CRDs the core bootstrap's KEDA and Prometheus stack would install are in the cluster, so
    /// endpoints (ScaledObject, ServiceMonitor) can be applied: what a journey with endpoints takes as given.
    /// </summary>
    internal static async Task InstallCoreCrdsAsync(IServiceProvider services, TeamEnvironment environment, Cluster cluster)
    {
        var session = await services.GetRequiredService<AwsSessions>()
            .AssumeAsync(environment.ProvisionerRoleArn, environment.ExternalId, environment.Region, "journey-crds", default);
        using var kubernetes = services.GetRequiredService<KubernetesClientFactory>()
            .Create(session, cluster.EksName, cluster.KubernetesEndpoint!, cluster.CertificateAuthority!);
        var specs = KubernetesSpecs.FindSpecsDirectory() ?? throw new InvalidOperationException("shared/specs not found above the test binaries.");
        foreach (var file in CoreCrds)
        foreach (var document in EmulatorJson.YamlDocuments(await File.ReadAllTextAsync(Path.Combine(specs, "crds", file))))
        {
            try
            {
                await kubernetes.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesJson.Deserialize<V1CustomResourceDefinition>(document.ToJsonString()));
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                // The emulated core bootstrap installed it already: present is all the journey needs.
            }
        }
    }
}
