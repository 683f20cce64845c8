using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Amazon;
using Amazon.Runtime.Signing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portal.Core.Cloud.Aws;

/// <summary>
/// The EKS operations the portal uses, over REST-JSON as the model defines them, signed with AWSSDK.Core's SigV4
/// signer (the package mirror serves no AWSSDK.EKS). Every call names the <see cref="AwsSession"/> it acts in.
/// Throttling, 5xx and network failures are retried with backoff; validation errors surface at once as
/// <see cref="AwsServiceException"/>.
/// </summary>
public sealed class EksClient(HttpClient http, IOptions<CloudOptions> options, TimeProvider clock, ILogger<EksClient> logger)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private CloudOptions Options => options.Value;

    // Clusters

    public async Task<EksCluster> CreateClusterAsync(AwsSession session, CreateClusterRequest request, CancellationToken ct = default) =>
        (await SendAsync<ClusterEnvelope>(session, "CreateCluster", HttpMethod.Post, "clusters", request, ct)).Cluster;

    public async Task<EksCluster> DescribeClusterAsync(AwsSession session, string name, CancellationToken ct = default) =>
        (await SendAsync<ClusterEnvelope>(session, "DescribeCluster", HttpMethod.Get, $"clusters/{Segment(name)}", null, ct)).Cluster;

    /// <summary>The cluster, or null when EKS does not know it: "absent" is an answer for a reconciler, not an error.</summary>
    public Task<EksCluster?> TryDescribeClusterAsync(AwsSession session, string name, CancellationToken ct = default) =>
        NullIfNotFoundAsync(DescribeClusterAsync(session, name, ct));

    public async Task<EksPage> ListClustersAsync(AwsSession session, string? nextToken = null, int? maxResults = null, CancellationToken ct = default)
    {
        var page = await SendAsync<ClustersPage>(session, "ListClusters", HttpMethod.Get, "clusters" + Query(("maxResults", maxResults?.ToString()), ("nextToken", nextToken)), null, ct);
        return new EksPage(page.Clusters ?? [], page.NextToken);
    }

    /// <summary>Every cluster name in the session's account and region, following <c>nextToken</c>.</summary>
    public Task<IReadOnlyList<string>> ListAllClustersAsync(AwsSession session, CancellationToken ct = default) =>
        AllPagesAsync(token => ListClustersAsync(session, token, null, ct));

    public async Task<EksCluster> DeleteClusterAsync(AwsSession session, string name, CancellationToken ct = default) =>
        (await SendAsync<ClusterEnvelope>(session, "DeleteCluster", HttpMethod.Delete, $"clusters/{Segment(name)}", null, ct)).Cluster;

    /// <summary>Starts a control-plane upgrade (one minor version at a time, as EKS requires); poll with <see cref="DescribeUpdateAsync"/>.</summary>
    public async Task<EksUpdate> UpdateClusterVersionAsync(AwsSession session, string name, string version, string? clientRequestToken, CancellationToken ct = default) =>
        (await SendAsync<UpdateEnvelope>(session, "UpdateClusterVersion", HttpMethod.Post, $"clusters/{Segment(name)}/updates",
            new { version, clientRequestToken }, ct)).Update;

    /// <summary>An update of the cluster, or of one of its node groups when <paramref name="nodegroupName"/> is given.</summary>
    public async Task<EksUpdate> DescribeUpdateAsync(AwsSession session, string name, string updateId, string? nodegroupName = null, CancellationToken ct = default) =>
        (await SendAsync<UpdateEnvelope>(session, "DescribeUpdate", HttpMethod.Get,
            $"clusters/{Segment(name)}/updates/{Segment(updateId)}" + Query(("nodegroupName", nodegroupName)), null, ct)).Update;

    public async Task<EksPage> ListUpdatesAsync(AwsSession session, string name, string? nodegroupName = null, string? nextToken = null, int? maxResults = null, CancellationToken ct = default)
    {
        var page = await SendAsync<UpdatesPage>(session, "ListUpdates", HttpMethod.Get,
            $"clusters/{Segment(name)}/updates" + Query(("nodegroupName", nodegroupName), ("maxResults", maxResults?.ToString()), ("nextToken", nextToken)), null, ct);
        return new EksPage(page.UpdateIds ?? [], page.NextToken);
    }

    // Node groups

    public async Task<EksNodegroup> CreateNodegroupAsync(AwsSession session, string clusterName, CreateNodegroupRequest request, CancellationToken ct = default) =>
        (await SendAsync<NodegroupEnvelope>(session, "CreateNodegroup", HttpMethod.Post, $"clusters/{Segment(clusterName)}/node-groups", request, ct)).Nodegroup;

    public async Task<EksNodegroup> DescribeNodegroupAsync(AwsSession session, string clusterName, string nodegroupName, CancellationToken ct = default) =>
        (await SendAsync<NodegroupEnvelope>(session, "DescribeNodegroup", HttpMethod.Get,
            $"clusters/{Segment(clusterName)}/node-groups/{Segment(nodegroupName)}", null, ct)).Nodegroup;

    /// <summary>The node group, or null when it (or its cluster) does not exist.</summary>
    public Task<EksNodegroup?> TryDescribeNodegroupAsync(AwsSession session, string clusterName, string nodegroupName, CancellationToken ct = default) =>
        NullIfNotFoundAsync(DescribeNodegroupAsync(session, clusterName, nodegroupName, ct));

    public async Task<EksPage> ListNodegroupsAsync(AwsSession session, string clusterName, string? nextToken = null, int? maxResults = null, CancellationToken ct = default)
    {
        var page = await SendAsync<NodegroupsPage>(session, "ListNodegroups", HttpMethod.Get,
            $"clusters/{Segment(clusterName)}/node-groups" + Query(("maxResults", maxResults?.ToString()), ("nextToken", nextToken)), null, ct);
        return new EksPage(page.Nodegroups ?? [], page.NextToken);
    }

    public Task<IReadOnlyList<string>> ListAllNodegroupsAsync(AwsSession session, string clusterName, CancellationToken ct = default) =>
        AllPagesAsync(token => ListNodegroupsAsync(session, clusterName, token, null, ct));

    /// <summary>Scaling, labels and taints of an existing node group.</summary>
    public async Task<EksUpdate> UpdateNodegroupConfigAsync(AwsSession session, string clusterName, string nodegroupName, UpdateNodegroupConfigRequest request, CancellationToken ct = default) =>
        (await SendAsync<UpdateEnvelope>(session, "UpdateNodegroupConfig", HttpMethod.Post,
            $"clusters/{Segment(clusterName)}/node-groups/{Segment(nodegroupName)}/update-config", request, ct)).Update;

    /// <summary>Moves a node group to the cluster's Kubernetes version (after the control plane).</summary>
    public async Task<EksUpdate> UpdateNodegroupVersionAsync(AwsSession session, string clusterName, string nodegroupName, UpdateNodegroupVersionRequest request, CancellationToken ct = default) =>
        (await SendAsync<UpdateEnvelope>(session, "UpdateNodegroupVersion", HttpMethod.Post,
            $"clusters/{Segment(clusterName)}/node-groups/{Segment(nodegroupName)}/update-version", request, ct)).Update;

    public async Task<EksNodegroup> DeleteNodegroupAsync(AwsSession session, string clusterName, string nodegroupName, CancellationToken ct = default) =>
        (await SendAsync<NodegroupEnvelope>(session, "DeleteNodegroup", HttpMethod.Delete,
            $"clusters/{Segment(clusterName)}/node-groups/{Segment(nodegroupName)}", null, ct)).Nodegroup;

    // Tags

    public async Task TagResourceAsync(AwsSession session, string resourceArn, IReadOnlyDictionary<string, string> tags, CancellationToken ct = default) =>
        await SendAsync<JsonObject>(session, "TagResource", HttpMethod.Post, $"tags/{Segment(resourceArn)}", new { tags }, ct);

    public async Task UntagResourceAsync(AwsSession session, string resourceArn, IEnumerable<string> tagKeys, CancellationToken ct = default) =>
        await SendAsync<JsonObject>(session, "UntagResource", HttpMethod.Delete,
            $"tags/{Segment(resourceArn)}?" + string.Join('&', tagKeys.Select(k => "tagKeys=" + Uri.EscapeDataString(k))), null, ct);

    public async Task<IReadOnlyDictionary<string, string>> ListTagsForResourceAsync(AwsSession session, string resourceArn, CancellationToken ct = default) =>
        (await SendAsync<TagsEnvelope>(session, "ListTagsForResource", HttpMethod.Get, $"tags/{Segment(resourceArn)}", null, ct)).Tags
        ?? new Dictionary<string, string>();

    // The wire

    private async Task<TResponse> SendAsync<TResponse>(AwsSession session, string operation, HttpMethod method, string relativePath, object? body, CancellationToken ct)
        where TResponse : class
    {
        var uri = new Uri(Options.EksBaseAddress(session.Region), relativePath);
        var content = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
        var credentials = session.ToAwsCredentials();
        var region = RegionEndpoint.GetBySystemName(session.Region);
        for (var attempt = 1; ; attempt++)
        {
            AwsServiceException? failure;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(Options.RequestTimeout);
                using var request = new HttpRequestMessage(method, uri);
                if (content is not null)
                {
                    request.Content = new ByteArrayContent(content);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }
                // Signed per attempt: a retry after a long backoff must carry a fresh X-Amz-Date.
                var signed = await AWSSigV4Signer.SignAsync(new AWSSigningRequest { HttpMethod = method, RequestUri = uri, Content = content },
                    new AWSSigV4Parameters { Credentials = credentials, Region = region, Service = "eks", SignedAt = clock.GetUtcNow().UtcDateTime }, timeout.Token);
                foreach (var (name, value) in signed.Headers) request.Headers.TryAddWithoutValidation(name, value);

                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return (string.IsNullOrWhiteSpace(text) ? null : JsonSerializer.Deserialize<TResponse>(text, Json))
                        ?? throw new AwsServiceException("InvalidResponse", "the response has no body", response.StatusCode, RequestId(response), operation);
                }
                failure = Error(operation, response, text);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or IOException or TaskCanceledException)
            {
                // A connection reset, DNS hiccup or an attempt that timed out: transient, as the SDKs treat them.
                failure = new AwsServiceException("RequestTimeout", e.Message, HttpStatusCode.RequestTimeout, null, operation, e);
            }

            if (!failure.IsRetryable || attempt >= Options.MaxAttempts) throw failure;
            var delay = AwsRetry.Delay(attempt, Options);
            logger.LogInformation("EKS {Operation} failed with {ErrorType} (attempt {Attempt} of {MaxAttempts}); retrying in {Delay} ms",
                operation, failure.ErrorType, attempt, Options.MaxAttempts, (int)delay.TotalMilliseconds);
            await Task.Delay(delay, clock, ct);
        }
    }

    internal static AwsServiceException Error(string operation, HttpResponseMessage response, string text)
    {
        string? type = response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.FirstOrDefault() : null;
        string? message = null;
        if (text.StartsWith('{'))
        {
            try
            {
                var json = JsonNode.Parse(text) as JsonObject;
                type ??= (string?)json?["__type"] ?? (string?)json?["code"];
                message = (string?)(json?["message"] ?? json?["Message"]);
            }
            catch (JsonException)
            {
                // Not JSON after all (a proxy's error page); the status code still classifies it.
            }
        }
        type = Normalise(type) ?? (int)response.StatusCode switch
        {
            429 => "ThrottlingException",
            >= 500 => "ServiceUnavailableException",
            _ => $"Http{(int)response.StatusCode}",
        };
        return new AwsServiceException(type, message ?? response.ReasonPhrase ?? "", response.StatusCode, RequestId(response), operation);
    }

    // "ResourceNotFoundException:http://internal.amazon.com/coral/..." and "com.amazonaws.eks#ResourceNotFoundException" name the same code.
    private static string? Normalise(string? type)
    {
        if (string.IsNullOrWhiteSpace(type)) return null;
        var colon = type.IndexOf(':');
        if (colon > 0) type = type[..colon];
        var hash = type.LastIndexOf('#');
        return hash >= 0 ? type[(hash + 1)..] : type;
    }

    private static string? RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.FirstOrDefault()
        : response.Headers.TryGetValues("x-amz-request-id", out var s3) ? s3.FirstOrDefault() : null;

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }

    private static async Task<T?> NullIfNotFoundAsync<T>(Task<T> call) where T : class
    {
        try
        {
            return await call;
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyList<string>> AllPagesAsync(Func<string?, Task<EksPage>> page)
    {
        var all = new List<string>();
        string? token = null;
        do
        {
            var next = await page(token);
            all.AddRange(next.Items);
            token = next.NextToken;
        }
        while (!string.IsNullOrEmpty(token));
        return all;
    }

    private sealed record ClusterEnvelope(EksCluster Cluster);
    private sealed record NodegroupEnvelope(EksNodegroup Nodegroup);
    private sealed record UpdateEnvelope(EksUpdate Update);
    private sealed record ClustersPage(IReadOnlyList<string>? Clusters, string? NextToken);
    private sealed record NodegroupsPage(IReadOnlyList<string>? Nodegroups, string? NextToken);
    private sealed record UpdatesPage(IReadOnlyList<string>? UpdateIds, string? NextToken);
    private sealed record TagsEnvelope(IReadOnlyDictionary<string, string>? Tags);
}
