using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;

namespace Portal.Web.Tests.Components.Clusters;

/// <summary>
/// Hangfire's seam for the UI tests: ClusterService enqueues a reconcile after every spec change, and the real client
/// would need job storage. The tests play the reconciler themselves by writing status rows.
/// </summary>
public sealed class RecordingJobClient : IBackgroundJobClient
{
    public ConcurrentQueue<Job> Jobs { get; } = new();

    public string Create(Job job, IState state)
    {
        Jobs.Enqueue(job);
        return Guid.NewGuid().ToString();
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => true;
}
