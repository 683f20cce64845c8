using Portal.Core.Events;

namespace Portal.Core.Endpoints.Resource;

/// <summary>
/// What one endpoint reconcile run decided, written in one transaction with the lease confirmed (the cluster
/// reconciler's StepResult, for endpoints): status, conditions, events, and when to look again.
/// </summary>
internal sealed class EndpointStep
{
    private readonly List<Action<InferenceEndpoint>> _changes = [];
    private readonly List<(string Type, string Status, string Reason, string Message, string? Step)> _conditions = [];

    public List<(string Step, EventOutcome Outcome, string Message)> Events { get; } = [];
    public TimeSpan? RequeueAfter { get; private set; }
    public EndpointPhase? Phase { get; private set; }
    public string? Message { get; private set; }
    public string? LastError { get; private set; }
    public bool IsRetry { get; private set; }
    public bool Observed { get; private set; }
    public bool RemoveRow { get; private set; }

    public EndpointStep Change(Action<InferenceEndpoint> change)
    {
        _changes.Add(change);
        return this;
    }

    public EndpointStep Condition(string type, string status, string reason, string message, string? step = null)
    {
        _conditions.RemoveAll(c => c.Type == type);
        _conditions.Add((type, status, reason, message, step));
        return this;
    }

    public EndpointStep Event(string step, EventOutcome outcome, string message)
    {
        Events.Add((step, outcome, message));
        return this;
    }

    public EndpointStep Progress(EndpointPhase phase, string message, TimeSpan delay)
    {
        Phase = phase;
        Message = message;
        LastError = "";
        RequeueAfter = delay;
        return this;
    }

    /// <summary>Converged on this generation; <paramref name="refresh"/> keeps replicas and scaling reason current.</summary>
    public EndpointStep Converged(EndpointPhase phase, string message, TimeSpan refresh)
    {
        Phase = phase;
        Message = message;
        LastError = "";
        Observed = true;
        RequeueAfter = refresh;
        return this;
    }

    public EndpointStep Retry(string message, string error, TimeSpan delay)
    {
        Message = message;
        LastError = error;
        IsRetry = true;
        RequeueAfter = delay;
        return this;
    }

    public EndpointStep Fail(string error)
    {
        Phase = EndpointPhase.Failed;
        Message = "Stopped: the last step failed in a way retrying cannot fix.";
        LastError = error;
        Observed = true;
        RequeueAfter = null;
        return this;
    }

    public EndpointStep Remove()
    {
        RemoveRow = true;
        RequeueAfter = null;
        return this;
    }

    public IEnumerable<(string Step, EventOutcome Outcome, string Message)> ApplyTo(InferenceEndpoint endpoint, DateTimeOffset now, bool specMoved)
    {
        foreach (var change in _changes) change(endpoint);
        var flips = new List<(string, EventOutcome, string)>();
        foreach (var (type, status, reason, message, step) in _conditions)
        {
            var before = endpoint.Conditions.FirstOrDefault(c => c.Type == type)?.Status;
            endpoint.SetCondition(type, status, reason, message, now);
            if (step is not null && before != status && status != Reconciliation.ConditionStatus.Unknown)
                flips.Add((step, status == Reconciliation.ConditionStatus.True ? EventOutcome.Succeeded : EventOutcome.Info, message));
        }
        if (specMoved) return flips;
        if (Phase is { } phase) endpoint.Phase = phase;
        if (Message is not null) endpoint.Message = Message;
        if (LastError is not null) endpoint.LastError = LastError.Length == 0 ? null : LastError;
        return flips;
    }
}
