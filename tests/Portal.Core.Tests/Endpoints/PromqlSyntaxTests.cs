using Portal.Core.Endpoints.Promql;

namespace Portal.Core.Tests.Endpoints;

public sealed class PromqlSyntaxTests
{
    // Queries as people write them for scaling and dashboards (Prometheus docs, kube-prometheus rules, Triton and TF Serving dashboards).
    [Theory]
    [InlineData("up", PromqlType.InstantVector)]
    [InlineData("42", PromqlType.Scalar)]
    [InlineData("-1.5e3", PromqlType.Scalar)]
    [InlineData("0x1F", PromqlType.Scalar)]
    [InlineData("Inf", PromqlType.Scalar)]
    [InlineData("\"text\"", PromqlType.String)]
    [InlineData("http_requests_total{job=\"api\",code=~\"5..\"}", PromqlType.InstantVector)]
    [InlineData("http_requests_total{job=\"api\",}", PromqlType.InstantVector)]
    [InlineData("{__name__=~\"job:.*\"}", PromqlType.InstantVector)]
    [InlineData("{\"my.metric\", env!=\"dev\"}", PromqlType.InstantVector)]
    [InlineData("http_requests_total[5m]", PromqlType.RangeVector)]
    [InlineData("http_requests_total[1h30m] offset -1d", PromqlType.RangeVector)]
    [InlineData("http_requests_total @ 1609746000 offset 5m", PromqlType.InstantVector)]
    [InlineData("rate(http_requests_total[5m] @ end())", PromqlType.InstantVector)]
    [InlineData("sum(rate(nv_inference_request_success{model=\"resnet\"}[1m]))", PromqlType.InstantVector)]
    [InlineData("sum by (pod) (rate(nv_inference_count[5m])) / clamp_min(sum by (pod) (rate(nv_inference_exec_count[5m])), 1)", PromqlType.InstantVector)]
    [InlineData("sum(rate(:tensorflow:serving:request_count{model_name=\"m\"}[1m])) without (instance)", PromqlType.InstantVector)]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(:tensorflow:serving:request_latency_bucket[5m])))", PromqlType.InstantVector)]
    [InlineData("topk(5, sum by (pod) (DCGM_FI_DEV_GPU_UTIL))", PromqlType.InstantVector)]
    [InlineData("count_values(\"version\", build_info)", PromqlType.InstantVector)]
    [InlineData("quantile(0.9, avg_over_time(queue_length[10m]))", PromqlType.InstantVector)]
    [InlineData("max_over_time(rate(http_requests_total[1m])[30m:1m])", PromqlType.InstantVector)]
    [InlineData("rate(http_requests_total[5m])[30m:]", PromqlType.RangeVector)]
    [InlineData("a / on(pod) group_left(node) b", PromqlType.InstantVector)]
    [InlineData("a * ignoring(code) group_right b", PromqlType.InstantVector)]
    [InlineData("a > bool 10", PromqlType.InstantVector)]
    [InlineData("1 < bool 2", PromqlType.Scalar)]
    [InlineData("a and b or c unless d", PromqlType.InstantVector)]
    [InlineData("2 ^ 3 ^ 2", PromqlType.Scalar)]
    [InlineData("-2 ^ 2 * -x", PromqlType.InstantVector)]
    [InlineData("a atan2 b", PromqlType.InstantVector)]
    [InlineData("label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")", PromqlType.InstantVector)]
    [InlineData("label_join(up, \"x\", \",\", \"a\", \"b\", \"c\")", PromqlType.InstantVector)]
    [InlineData("scalar(sum(up)) * 2", PromqlType.Scalar)]
    [InlineData("vector(1) + time()", PromqlType.InstantVector)]
    [InlineData("round(x, 0.5)", PromqlType.InstantVector)]
    [InlineData("absent(nonexistent{job=\"x\"})", PromqlType.InstantVector)]
    [InlineData("predict_linear(node_filesystem_free_bytes[1h], 4 * 3600) < 0", PromqlType.InstantVector)]
    [InlineData("sum(kube_pod_info{node=~`ip-.*\\.ec2\\.internal`})", PromqlType.InstantVector)]
    [InlineData("# queued work per replica\nsum(queue_depth) # end", PromqlType.InstantVector)]
    [InlineData("avg(DCGM_FI_DEV_GPU_UTIL{namespace=\"team-ml\",pod=~\"resnet-[a-z0-9]+-[a-z0-9]+\"})", PromqlType.InstantVector)]
    public void Check_AcceptsRealWorldQueries(string query, PromqlType expected)
    {
        Assert.True(PromqlSyntax.TryParse(query, out var type, out var error), error?.ToString());
        Assert.Equal(expected, type);
    }

    [Theory]
    [InlineData("", "empty", 1)]
    [InlineData("   ", "empty", 1)]
    [InlineData("sum(rate(x[5m])", "')'", 16)]
    [InlineData("rate(x)", "argument 1 of rate() must be a range vector", 6)]
    [InlineData("rat(x[5m])", "unknown function 'rat' (did you mean 'rate'?)", 1)]
    [InlineData("x{job=\"a\"", "opened at column 2 are not closed", 10)]
    [InlineData("x{job==\"a\"}", "use '=', not '=='", 6)]
    [InlineData("x{job=a}", "label values are quoted strings", 7)]
    [InlineData("x{job=~\"(\"}", "invalid regular expression", 8)]
    [InlineData("x[5]", "a range needs a unit: [5s] or [5m]", 3)]
    [InlineData("x[5x]", "not a duration", 3)]
    [InlineData("x[0s]", "longer than 0", 3)]
    [InlineData("sum(x)[5m]", "a [range] follows a metric selector only", 7)]
    [InlineData("x[5m][5m]", "already a range vector", 6)]
    [InlineData("x offset 5m[1m]", "before offset", 12)]
    [InlineData("sum(x) offset 5m", "offset modifies", 8)]
    [InlineData("x[5m] + 1", "cannot take a range vector", 1)]
    [InlineData("1 > 2", "needs the bool modifier", 3)]
    [InlineData("1 and x", "works between instant vectors only", 1)]
    [InlineData("a + bool b", "'bool' only modifies comparison", 5)]
    [InlineData("a + group_left b", "needs on(...) or ignoring(...)", 5)]
    [InlineData("a and on(x) group_left b", "cannot be used with the set operator", 13)]
    [InlineData("sum by (pod) (x) by (node)", "already has a by/without clause", 18)]
    [InlineData("topk(x)", "argument 1 of topk must be a scalar, not an instant vector", 6)]
    [InlineData("sum()", "needs an instant vector", 5)]
    [InlineData("sum(x, y)", "takes one argument", 6)]
    [InlineData("clamp(x, 1)", "clamp() takes 3 arguments", 11)]
    [InlineData("time(1)", "time() takes 0 arguments", 6)]
    [InlineData("histogram_quantile(x, y)", "argument 1 of histogram_quantile() must be a scalar", 20)]
    [InlineData("{}", "needs a metric name or at least one label matcher", 1)]
    [InlineData("{job=~\".*\"}", "does not match the empty string", 1)]
    [InlineData("x y", "after a complete expression", 3)]
    [InlineData("sum", "needs parentheses", 1)]
    [InlineData("by", "unexpected keyword 'by'", 1)]
    [InlineData("x{\"unterminated}", "unterminated string", 3)]
    [InlineData("x{job=\"a\\.b\"}", "unknown escape sequence", 9)]
    [InlineData("x ! y", "'!' must be followed by", 3)]
    [InlineData("1.5e", "needs an exponent", 1)]
    [InlineData("5m", "belongs in [brackets]", 1)]
    [InlineData("()", "empty parentheses", 2)]
    [InlineData("x +", "ends where an expression was expected", 4)]
    [InlineData("x{a:b=\"c\"}", "label names cannot contain ':'", 3)]
    [InlineData("rate(x[5m])[5m]", "a [range] follows a metric selector only", 12)]
    [InlineData("x @ foo", "a Unix timestamp, start() or end()", 5)]
    public void Check_RejectsBrokenQueries_WithAMessageAndItsColumn(string query, string message, int column)
    {
        var error = PromqlSyntax.Check(query);

        Assert.NotNull(error);
        Assert.True(error.Message.Contains(message, StringComparison.Ordinal) && error.Column == column, $"got: {error}");
    }

    [Fact]
    public void MetricNames_ListsTheSelectedMetrics_ByNameQuotedOrByNameMatcher()
    {
        Assert.Equal(["a", "b:rate5m", "c.d", "e"], PromqlSyntax.MetricNames("sum(a) / on(x) b:rate5m + {\"c.d\"} - {__name__=\"e\", job=\"j\"} + {__name__=~\"f.*\"}"));
        Assert.Null(PromqlSyntax.MetricNames("sum("));
    }

    [Fact]
    public void Check_ReportsLineAndColumn_InAMultiLineQuery()
    {
        var error = PromqlSyntax.Check("sum(\n  rate(requests_total[5m])\n  + rate(errors_total)\n)");

        Assert.NotNull(error);
        Assert.Equal((3, 10), (error.Line, error.Column));
        Assert.Contains("range vector", error.Message);
        Assert.Contains("line 3, column 10", error.ToString());
    }
}
