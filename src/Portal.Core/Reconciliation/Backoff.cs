namespace Portal.Core.Reconciliation;

/// <summary>
/// Exponential backoff with "equal jitter": half of the exponential delay is kept, the other half is random. Unlike
/// full jitter, a retry never comes back almost at once, and unlike no jitter, a burst of resources failing together
/// (an AWS throttling storm) does not retry in lockstep.
/// </summary>
public static class Backoff
{
    /// <param name="attempt">1 for the first retry.</param>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, Random? random = null)
    {
        if (attempt < 1 || baseDelay <= TimeSpan.Zero) return TimeSpan.Zero;
        // Cap the exponent before shifting: 2^30 × anything already exceeds any sensible maximum.
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        var half = capped / 2;
        return TimeSpan.FromMilliseconds(half + (random ?? Random.Shared).NextDouble() * half);
    }
}
