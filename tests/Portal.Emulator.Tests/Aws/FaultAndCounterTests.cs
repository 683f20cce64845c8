using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Portal.Emulator.Shared;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

public sealed class FaultAndCounterTests : IAsyncLifetime
{
    private AwsEmulator _emulator = null!;

    private AwsTestClient Eks => _emulator.Platform;

    public async Task InitializeAsync() => _emulator = await AwsEmulator.StartAsync(o => o.FaultSeed = 7);

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task Throttle_ForNextTwoCalls_Returns429ThrottlingExceptionTwiceThenSucceeds()
    {
        _emulator.Host.Faults.Add(new FaultRule("eks", "ListClusters", FaultKind.Throttle, RemainingCalls: 2));

        var first = await Eks.EksAsync(HttpMethod.Get, "/clusters");
        var second = await Eks.EksAsync(HttpMethod.Get, "/clusters");
        var third = await Eks.EksAsync(HttpMethod.Get, "/clusters");

        Assert.Equal((429, "ThrottlingException"), (first.Status, first.ErrorType));
        Assert.Equal((429, "ThrottlingException"), (second.Status, second.ErrorType));
        Assert.Equal(200, third.Status);
        Assert.Empty(_emulator.Host.Faults.Rules);
    }

    [Fact]
    public async Task ServerError_ForEveryCreateCluster_Returns500ServerExceptionAndCreatesNothing()
    {
        _emulator.Host.Faults.Add(new FaultRule("eks", "CreateCluster", FaultKind.ServerError, Rate: 1));

        var response = await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("never"));

        Assert.Equal((500, "ServerException"), (response.Status, response.ErrorType));
        Assert.Equal(404, (await Eks.EksAsync(HttpMethod.Get, "/clusters/never")).Status);
    }

    [Fact]
    public async Task ServerError_With503_ReturnsServiceUnavailableException()
    {
        _emulator.Host.Faults.Add(new FaultRule("*", "*", FaultKind.ServerError, RemainingCalls: 1, StatusCode: 503));

        var response = await Eks.EksAsync(HttpMethod.Get, "/clusters");

        Assert.Equal((503, "ServiceUnavailableException"), (response.Status, response.ErrorType));
    }

    [Fact]
    public async Task Throttle_OnSts_ReturnsThrottlingToTheSdkClient()
    {
        _emulator.Host.Faults.Add(new FaultRule("sts", "GetCallerIdentity", FaultKind.Throttle, RemainingCalls: 1));
        using var sts = _emulator.Sts(Eks.Credentials!);

        var error = await Assert.ThrowsAnyAsync<AmazonSecurityTokenServiceException>(() => sts.GetCallerIdentityAsync(new GetCallerIdentityRequest()));

        Assert.Equal("Throttling", error.ErrorCode);
        Assert.Equal("111111111111", (await sts.GetCallerIdentityAsync(new GetCallerIdentityRequest())).Account);
    }

    [Fact]
    public async Task Latency_DelaysTheAnswerThenSucceeds()
    {
        _emulator.Host.Faults.Add(new FaultRule("eks", "ListClusters", FaultKind.Latency, RemainingCalls: 1, Latency: TimeSpan.FromMilliseconds(300)));
        var watch = Stopwatch.StartNew();

        var response = await Eks.EksAsync(HttpMethod.Get, "/clusters");

        Assert.Equal(200, response.Status);
        Assert.True(watch.ElapsedMilliseconds >= 280, $"answered after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Throttle_AtRateHalf_ThrottlesSomeButNotAllCalls()
    {
        _emulator.Host.Faults.Add(new FaultRule("eks", "ListClusters", FaultKind.Throttle, Rate: 0.5));

        var statuses = new List<int>();
        for (var i = 0; i < 40; i++) statuses.Add((await Eks.EksAsync(HttpMethod.Get, "/clusters")).Status);

        Assert.Contains(429, statuses);
        Assert.Contains(200, statuses);
    }

    [Fact]
    public async Task Counters_CountEveryCallPerOperationAndCluster_Exactly()
    {
        await _emulator.CreateActiveClusterAsync(Eks, "counted");
        _emulator.Host.Calls.Reset();

        await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("other"));
        await Eks.EksAsync(HttpMethod.Get, "/clusters/counted");
        await Eks.EksAsync(HttpMethod.Get, "/clusters/counted");
        await Eks.EksAsync(HttpMethod.Get, "/clusters");
        await Eks.StsAsync(StsTests.Form("GetCallerIdentity"));

        var calls = _emulator.Host.Calls;
        Assert.Equal(1, calls.Count("eks", "CreateCluster"));
        Assert.Equal(2, calls.Count("eks", "DescribeCluster", "counted"));
        Assert.Equal(0, calls.Count("eks", "DescribeCluster", "other"));
        Assert.Equal(1, calls.Count("eks", "ListClusters"));
        Assert.Equal(1, calls.Count("sts", "GetCallerIdentity"));
        Assert.Equal(1, calls.Writes);
    }

    [Fact]
    public async Task AdminEndpoints_AddFaultsReportCallsAndReset()
    {
        using var http = new HttpClient { BaseAddress = _emulator.Host.BaseAddress };
        await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("admin"));

        var added = await http.PostAsJsonAsync("/_emulator/faults", new { service = "eks", operation = "DescribeCluster", kind = "Throttle", remainingCalls = 1 });
        Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        Assert.Equal(429, (await Eks.EksAsync(HttpMethod.Get, "/clusters/admin")).Status);

        var calls = JsonNode.Parse(await http.GetStringAsync("/_emulator/calls?service=eks&operation=CreateCluster"))!;
        Assert.Equal(1, (int)calls["count"]!);
        Assert.Equal(1, (int)calls["writes"]!);

        var reset = await http.PostAsync("/_emulator/reset", null);
        Assert.True(reset.IsSuccessStatusCode);
        Assert.Empty(_emulator.Host.Calls.All);
        Assert.Equal(404, (await Eks.EksAsync(HttpMethod.Get, "/clusters/admin")).Status);
    }

    [Fact]
    public async Task ResetAsync_ForgetsClustersCredentialsCountersAndFaults()
    {
        await Eks.EksAsync(HttpMethod.Post, "/clusters", AwsEmulator.ClusterRequest("gone"));
        _emulator.Host.Faults.Add(new FaultRule("sts", "*", FaultKind.Throttle, Rate: 1));
        var resetRaised = false;
        ((EmulatorReset)_emulator.Host.Services.GetService(typeof(EmulatorReset))!).Resetting += () => resetRaised = true;

        await _emulator.Host.ResetAsync();

        Assert.True(resetRaised);
        Assert.Empty(_emulator.Host.Faults.Rules);
        Assert.Equal(404, (await Eks.EksAsync(HttpMethod.Get, "/clusters/gone")).Status);
        Assert.Single(_emulator.Host.Calls.All);
    }
}
