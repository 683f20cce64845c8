namespace Portal.Core.Cloud.Aws;

/// <summary>
/// How long to wait before the next attempt: exponential backoff with jitter, as the AWS SDKs do. The wait is drawn
/// uniformly from [base, min(max, base·2^(retry-1))]: the jitter spreads a burst of callers across the window (no
/// thundering herd after a throttling spike), and the floor of one base delay keeps a retry from landing on the
/// service at once, which pure "full jitter" from zero allows.
/// </summary>
internal static class AwsRetry
{
    public static TimeSpan Delay(int retry, CloudOptions options)
    {
        var baseDelay = options.RetryBaseDelay;
        var ceiling = Math.Min(options.RetryMaxDelay.Ticks, baseDelay.Ticks * (1L << Math.Clamp(retry - 1, 0, 30)));
        if (ceiling <= baseDelay.Ticks) return TimeSpan.FromTicks(Math.Min(baseDelay.Ticks, options.RetryMaxDelay.Ticks));
        return TimeSpan.FromTicks(Random.Shared.NextInt64(baseDelay.Ticks, ceiling + 1));
    }
}
