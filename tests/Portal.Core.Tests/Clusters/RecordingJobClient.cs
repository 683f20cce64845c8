using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;

namespace Portal.Core.Tests.Clusters;

/// <summary>The seam to the workers: records what the service enqueues instead of running it.</summary>
public sealed class RecordingJobClient : IBackgroundJobClient
{
    public ConcurrentQueue<Job> Jobs { get; } = new();

    public string Create(Job job, IState state)
    {
        Jobs.Enqueue(job);
        return Guid.NewGuid().ToString();
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => true;

    /// <summary>Cluster ids of the reconcile jobs enqueued so far.</summary>
    public IReadOnlyList<Guid> ReconcilesOf(Guid clusterId) =>
        Jobs.Where(j => j.Type.Name == "ReconcileClusterJob" && j.Method.Name == "RunAsync" && (Guid)j.Args[0] == clusterId)
            .Select(j => (Guid)j.Args[0]).ToList();
}
