using System.Collections.Concurrent;

namespace Portal.Emulator.Shared;

/// <summary>One call the emulator answered, as tests and benchmarks count them.</summary>
/// <param name="Service">"eks", "sts" or "kubernetes".</param>
/// <param name="Operation">The AWS operation name (CreateCluster) or the Kubernetes verb and resource ("create deployments").</param>
/// <param name="Cluster">The cluster the call concerned, when there is one.</param>
/// <param name="IsWrite">True for calls that change state.</param>
/// <param name="Detail">What CloudTrail would show of the request where it matters to tests (AssumeRole: the role session name).</param>
public sealed record EmulatorCall(string Service, string Operation, string? Cluster, bool IsWrite, DateTimeOffset At, string? Detail = null)
{
    /// <summary>The HTTP status the emulator answered with (an injected fault's 429 or 5xx included); null until answered.</summary>
    public int? StatusCode { get; private set; }

    /// <summary>Notes the status when the response starts, whichever way the handler answers.</summary>
    public void AnsweredBy(HttpResponse response) => response.OnStarting(() =>
    {
        StatusCode = response.StatusCode;
        return Task.CompletedTask;
    });
}

/// <summary>
/// Something the emulator brought into existence: an EKS cluster or node group (not a repeat of a
/// <c>clientRequestToken</c>'s first answer), or a Kubernetes object (its ADDED event). Reliability suites check that
/// nothing is created twice.
/// </summary>
/// <param name="Kind">"cluster", "nodegroup", or a Kubernetes storage key (<c>apps/deployments</c>, <c>/namespaces</c>).</param>
/// <param name="Cluster">The EKS cluster name, or the emulated cluster's key for Kubernetes objects.</param>
/// <param name="Name">The node group's name, <c>namespace/name</c> of a Kubernetes object, the cluster's own name.</param>
public sealed record EmulatorCreation(string Service, string Kind, string Cluster, string Name, DateTimeOffset At);

/// <summary>
/// Counts every call per service, operation and cluster so tests can assert "exactly one CreateCluster"
/// or "no writes during an idle resync". Shared by the AWS and the Kubernetes halves of the emulator.
/// </summary>
public sealed class EmulatorCalls(TimeProvider clock)
{
    private readonly ConcurrentQueue<EmulatorCall> _calls = new();

    private readonly ConcurrentQueue<EmulatorCreation> _creations = new();

    public EmulatorCall Record(string service, string operation, string? cluster, bool isWrite, string? detail = null)
    {
        var call = new EmulatorCall(service, operation, cluster, isWrite, clock.GetUtcNow(), detail);
        _calls.Enqueue(call);
        return call;
    }

    public void RecordCreation(string service, string kind, string cluster, string name) =>
        _creations.Enqueue(new EmulatorCreation(service, kind, cluster, name, clock.GetUtcNow()));

    /// <summary>Everything created, in order (see <see cref="EmulatorCreation"/>).</summary>
    public IReadOnlyList<EmulatorCreation> Creations => _creations.ToArray();

    public IReadOnlyList<EmulatorCall> All => _calls.ToArray();

    /// <summary>How many calls so far, without copying them (suites poll it to act at a point in a workload).</summary>
    public int Total => _calls.Count;

    public int Count(string service, string? operation = null, string? cluster = null) =>
        _calls.Count(c => c.Service == service
            && (operation is null || c.Operation == operation)
            && (cluster is null || c.Cluster == cluster));

    public int Writes => _calls.Count(c => c.IsWrite);

    public void Reset()
    {
        _calls.Clear();
        _creations.Clear();
    }
}
