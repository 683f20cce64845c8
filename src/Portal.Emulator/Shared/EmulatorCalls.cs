using System.Collections.Concurrent;

namespace Portal.Emulator.Shared;

/// <summary>One call the emulator answered, as tests and benchmarks count them.</summary>
/// <param name="Service">"eks", "sts" or "kubernetes".</param>
/// <param name="Operation">The AWS operation name (CreateCluster) or the Kubernetes verb and resource ("create deployments").</param>
/// <param name="Cluster">The cluster the call concerned, when there is one.</param>
/// <param name="IsWrite">True for calls that change state.</param>
/// <param name="Detail">What CloudTrail would show of the request where it matters to tests (AssumeRole: the role session name).</param>
public sealed record EmulatorCall(string Service, string Operation, string? Cluster, bool IsWrite, DateTimeOffset At, string? Detail = null);

/// <summary>
/// Counts every call per service, operation and cluster so tests can assert "exactly one CreateCluster"
/// or "no writes during an idle resync". Shared by the AWS and the Kubernetes halves of the emulator.
/// </summary>
public sealed class EmulatorCalls(TimeProvider clock)
{
    private readonly ConcurrentQueue<EmulatorCall> _calls = new();

    public void Record(string service, string operation, string? cluster, bool isWrite, string? detail = null) =>
        _calls.Enqueue(new EmulatorCall(service, operation, cluster, isWrite, clock.GetUtcNow(), detail));

    public IReadOnlyList<EmulatorCall> All => _calls.ToArray();

    public int Count(string service, string? operation = null, string? cluster = null) =>
        _calls.Count(c => c.Service == service
            && (operation is null || c.Operation == operation)
            && (cluster is null || c.Cluster == cluster));

    public int Writes => _calls.Count(c => c.IsWrite);

    public void Reset() => _calls.Clear();
}
