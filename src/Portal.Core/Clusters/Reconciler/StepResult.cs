using Portal.Core.Events;

namespace Portal.Core.Clusters.Reconciler;

/// <summary>
/// What one reconcile run decided, to be written in one transaction with the lease confirmed: status changes, the
/// conditions they imply, timeline events, and when to look again. Built while the cloud is read, applied to the row
/// as it is at commit time (the spec may have moved on; the status describes what this run saw).
/// </summary>
internal sealed class StepResult
{
    private readonly List<Action<Cluster>> _changes = [];
    private readonly List<(string Type, string Status, string Reason, string Message, string? Step)> _conditions = [];

    public List<(string Step, EventOutcome Outcome, string Message)> Events { get; } = [];

    /// <summary>Null: converged or terminal, nothing scheduled (the resync still watches non-terminal phases).</summary>
    public TimeSpan? RequeueAfter { get; private set; }

    public ClusterPhase? Phase { get; private set; }

    public string? Message { get; private set; }

    /// <summary>Null leaves the last error as it is; empty clears it.</summary>
    public string? LastError { get; private set; }

    /// <summary>A transient failure: the next run waits longer (backoff) and the first one is written to the timeline.</summary>
    public bool IsRetry { get; private set; }

    /// <summary>The status now describes the generation this run read (converged, or failed for good).</summary>
    public bool Observed { get; private set; }

    /// <summary>Everything in AWS is gone: remove the row.</summary>
    public bool RemoveRow { get; private set; }

    public StepResult Change(Action<Cluster> change)
    {
        _changes.Add(change);
        return this;
    }

    /// <summary>Sets a condition; when its status flips and <paramref name="step"/> is given, the flip becomes an event.</summary>
    public StepResult Condition(string type, string status, string reason, string message, string? step = null)
    {
        _conditions.RemoveAll(c => c.Type == type);
        _conditions.Add((type, status, reason, message, step));
        return this;
    }

    public StepResult Event(string step, EventOutcome outcome, string message)
    {
        Events.Add((step, outcome, message));
        return this;
    }

    /// <summary>Still working: look again after <paramref name="delay"/> (a cloud operation in flight, or the next step).</summary>
    public StepResult Progress(ClusterPhase phase, string message, TimeSpan delay)
    {
        Phase = phase;
        Message = message;
        LastError = "";
        RequeueAfter = delay;
        return this;
    }

    public StepResult Converged(string message, ClusterPhase phase = ClusterPhase.Ready)
    {
        Phase = phase;
        Message = message;
        LastError = "";
        Observed = true;
        RequeueAfter = null;
        return this;
    }

    public StepResult Retry(string message, string error, TimeSpan delay)
    {
        Message = message;
        LastError = error;
        IsRetry = true;
        RequeueAfter = delay;
        return this;
    }

    public StepResult Fail(string error)
    {
        Phase = ClusterPhase.Failed;
        Message = "Stopped: the last step failed in a way retrying cannot fix.";
        LastError = error;
        Observed = true;
        RequeueAfter = null;
        return this;
    }

    public StepResult Remove()
    {
        RemoveRow = true;
        RequeueAfter = null;
        return this;
    }

    /// <summary>Applies the status to the row, returning the condition flips worth an event.</summary>
    /// <param name="specMoved">The spec changed since the run read it: keep the phase and message the change set (e.g. Deleting).</param>
    public IEnumerable<(string Step, EventOutcome Outcome, string Message)> ApplyTo(Cluster cluster, DateTimeOffset now, bool specMoved = false)
    {
        foreach (var change in _changes) change(cluster);
        var flips = new List<(string, EventOutcome, string)>();
        foreach (var (type, status, reason, message, step) in _conditions)
        {
            var before = cluster.Conditions.FirstOrDefault(c => c.Type == type)?.Status;
            cluster.SetCondition(type, status, reason, message, now);
            if (step is not null && before != status && status != Reconciliation.ConditionStatus.Unknown)
                flips.Add((step, status == Reconciliation.ConditionStatus.True ? EventOutcome.Succeeded : EventOutcome.Info, message));
        }
        if (specMoved) return flips;
        if (Phase is { } phase) cluster.Phase = phase;
        if (Message is not null) cluster.Message = Message;
        if (LastError is not null) cluster.LastError = LastError.Length == 0 ? null : LastError;
        return flips;
    }
}
