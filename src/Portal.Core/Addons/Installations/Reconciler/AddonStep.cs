using Portal.Core.Events;

namespace Portal.Core.Addons.Installations.Reconciler;

/// <summary>
/// What one add-on reconcile run decided, written in one transaction with the lease confirmed (the same contract as
/// the cluster reconciler's StepResult): status, conditions, events, and when to look again.
/// </summary>
internal sealed class AddonStep
{
    private readonly List<Action<AddonInstallation>> _changes = [];
    private readonly List<(string Type, string Status, string Reason, string Message)> _conditions = [];

    public List<(string Step, EventOutcome Outcome, string Message)> Events { get; } = [];
    public TimeSpan? RequeueAfter { get; private set; }
    public AddonPhase? Phase { get; private set; }
    public string? Message { get; private set; }
    /// <summary>Null leaves the last error; empty clears it.</summary>
    public string? LastError { get; private set; }
    public bool IsRetry { get; private set; }
    /// <summary>The status now describes the generation this run read.</summary>
    public bool Observed { get; private set; }
    public bool RemoveRow { get; private set; }

    public AddonStep Change(Action<AddonInstallation> change)
    {
        _changes.Add(change);
        return this;
    }

    public AddonStep Condition(string type, string status, string reason, string message)
    {
        _conditions.RemoveAll(c => c.Type == type);
        _conditions.Add((type, status, reason, message));
        return this;
    }

    public AddonStep Event(string step, EventOutcome outcome, string message)
    {
        Events.Add((step, outcome, message));
        return this;
    }

    public AddonStep Progress(AddonPhase phase, string message, TimeSpan delay)
    {
        Phase = phase;
        Message = message;
        LastError = "";
        RequeueAfter = delay;
        return this;
    }

    /// <summary>Argo CD has judged this generation (Healthy or Degraded): observed, and looked at again after <paramref name="delay"/> for drift.</summary>
    public AddonStep Settled(AddonPhase phase, string message, TimeSpan delay)
    {
        Progress(phase, message, delay);
        Observed = true;
        return this;
    }

    public AddonStep Retry(string message, string error, TimeSpan delay)
    {
        Message = message;
        LastError = error;
        IsRetry = true;
        RequeueAfter = delay;
        return this;
    }

    public AddonStep Fail(string error)
    {
        Phase = AddonPhase.Failed;
        Message = "Stopped: the last step failed in a way retrying cannot fix.";
        LastError = error;
        Observed = true;
        RequeueAfter = null;
        return this;
    }

    public AddonStep Remove()
    {
        RemoveRow = true;
        RequeueAfter = null;
        return this;
    }

    /// <param name="specMoved">The spec changed while the run worked: keep what the change set (phase, message).</param>
    public void ApplyTo(AddonInstallation row, DateTimeOffset now, bool specMoved)
    {
        foreach (var change in _changes) change(row);
        foreach (var (type, status, reason, message) in _conditions) row.SetCondition(type, status, reason, message, now);
        if (specMoved) return;
        if (Phase is { } phase) row.Phase = phase;
        if (Message is not null) row.Message = Message;
        if (LastError is not null) row.LastError = LastError.Length == 0 ? null : LastError;
    }
}
