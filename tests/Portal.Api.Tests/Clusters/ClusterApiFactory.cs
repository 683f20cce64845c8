using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Portal.Api.Tests.Clusters;

/// <summary>
/// The portal as an API process only (<c>Portal:Roles</c> web,api: no Hangfire server, so nothing reconciles behind
/// the tests' backs), with the one seam to the workers, <see cref="IBackgroundJobClient"/>, recording what is
/// enqueued. Recording in the host rather than reading Hangfire's storage keeps the check independent of
/// Hangfire's process-wide JobStorage.Current, which parallel test hosts overwrite.
/// </summary>
public sealed class ClusterApiFactory : ApiFactory
{
    public RecordingJobClient Jobs { get; } = new();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Portal:Roles", "web,api");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IBackgroundJobClient>();
            services.AddSingleton<IBackgroundJobClient>(Jobs);
        });
    }
}

public sealed class RecordingJobClient : IBackgroundJobClient
{
    private readonly ConcurrentQueue<Job> _jobs = new();

    public string Create(Job job, IState state)
    {
        _jobs.Enqueue(job);
        return Guid.NewGuid().ToString();
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => true;

    /// <summary>Jobs of one type (full name) enqueued so far for the resource <paramref name="id"/>.</summary>
    public int Count(string jobType, Guid id) => _jobs.Count(j => j.Type.FullName == jobType && j.Args.Count > 0 && j.Args[0] is Guid g && g == id);
    /// <summary>How many jobs were enqueued, of any type.</summary>
    public int Total => _jobs.Count;

    /// <summary>How many jobs of the type (full name) were enqueued.</summary>
    public int Count(string jobType) => _jobs.Count(j => j.Type.FullName == jobType);

    public int ReconcilesOf(Guid clusterId) =>
        _jobs.Count(j => j.Type.FullName == "Portal.Core.Clusters.Jobs.ReconcileClusterJob" && j.Method.Name == "RunAsync" && (Guid)j.Args[0] == clusterId);
}
