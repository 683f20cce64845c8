using Portal.Core.Endpoints.Spec;

namespace Portal.Web.Components.Shared.Endpoints;

/// <summary>A query the editor offers: what it measures, the PromQL, and whether it can wake an endpoint at zero replicas.</summary>
public sealed record QueryExample(string Title, string Query, string Explanation, double Threshold, bool WorksAtZero);

/// <summary>
/// Example scaling queries for the chosen runtime. The server's own series (Triton's <c>nv_*</c>, TF Serving's
/// <c>:tensorflow:serving:*</c>) measure load well but vanish with the last pod, so each list also has an upstream
/// queue query: the only kind that may scale an endpoint to zero (see the README).
/// </summary>
public static class QueryExamples
{
    public static IReadOnlyList<QueryExample> For(EndpointRuntime runtime, string endpointName, string teamNamespace)
    {
        var name = string.IsNullOrWhiteSpace(endpointName) ? "my-endpoint" : endpointName.Trim();
        // The endpoint's metrics Service, as its ServiceMonitor scrapes it (see EndpointDashboard).
        var sel = $"namespace=\"{teamNamespace}\",service=\"{name}-metrics\"";
        var upstream = new QueryExample(
            "Requests waiting in an upstream queue",
            $"sum(aws_sqs_approximate_number_of_messages_visible_average{{queue_name=\"{name}-requests\"}})",
            "Messages waiting in the SQS queue in front of the endpoint (CloudWatch exporter). It exists while no replica runs, so it can wake an endpoint scaled to zero.",
            Threshold: 10, WorksAtZero: true);
        var list = new List<QueryExample>();
        switch (runtime)
        {
            case EndpointRuntime.Triton:
                list.Add(new QueryExample("Triton queue length",
                    $"sum(nv_inference_pending_request_count{{{sel}}})",
                    "Requests Triton has accepted but not yet executed, over all replicas: scale when each replica has more than the threshold waiting.",
                    Threshold: 5, WorksAtZero: false));
                list.Add(new QueryExample("Triton request rate",
                    $"sum(rate(nv_inference_request_success{{{sel}}}[1m]))",
                    "Successful inferences per second over all replicas: the threshold is what one replica handles.",
                    Threshold: 50, WorksAtZero: false));
                break;
            case EndpointRuntime.TensorflowServing:
                list.Add(new QueryExample("TF Serving request rate",
                    $"sum(rate(:tensorflow:serving:request_count{{{sel}}}[1m]))",
                    "Requests per second over all replicas: the threshold is what one replica handles.",
                    Threshold: 50, WorksAtZero: false));
                list.Add(new QueryExample("TF Serving batch queueing time",
                    $"sum(rate(:tensorflow:serving:batching_session:queuing_latency_sum{{{sel}}}[1m])) / 1000000",
                    "Seconds per second that requests spend waiting for a batch: rises when replicas fall behind.",
                    Threshold: 1, WorksAtZero: false));
                break;
            default:
                list.Add(new QueryExample("Request rate of your server",
                    $"sum(rate(http_requests_total{{{sel}}}[1m]))",
                    "If your server exports a request counter on its metrics port, its rate over all replicas.",
                    Threshold: 50, WorksAtZero: false));
                break;
        }
        list.Add(upstream);
        return list;
    }
}
