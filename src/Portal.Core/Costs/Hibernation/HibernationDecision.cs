namespace Portal.Core.Costs.Hibernation;

/// <summary>A managed node group's scaling config.</summary>
public readonly record struct PoolSize(int Min, int Desired, int Max)
{
    public bool IsAsleep => Min == 0 && Desired == 0;
}

/// <summary>What the reconciler should set, and what it must remember to restore later.</summary>
public sealed record HibernationStep(PoolSize Target, PoolSize? Remembered, bool Changes);

/// <summary>
/// The pure part of hibernating a pool. Going to sleep remembers the current sizes and sets min = desired = 0 (max
/// stays: EKS requires maxSize ≥ 1); waking restores the remembered sizes and forgets them. Idempotent: deciding
/// again from the state it produced changes nothing, so a reconciler killed between steps is safe to re-run.
/// </summary>
public static class HibernationDecision
{
    public static HibernationStep Decide(bool shouldRun, PoolSize current, PoolSize? remembered)
    {
        if (!shouldRun)
        {
            if (current.IsAsleep) return new HibernationStep(current, remembered, false);
            return new HibernationStep(current with { Min = 0, Desired = 0 }, current, true);
        }
        if (remembered is { } previous)
        {
            // Someone may have raised max while the pool slept; never restore below what is allowed now.
            var max = Math.Max(previous.Max, current.Max);
            var restored = previous with { Max = max };
            return new HibernationStep(restored, null, restored != current);
        }
        return new HibernationStep(current, null, false);
    }
}
