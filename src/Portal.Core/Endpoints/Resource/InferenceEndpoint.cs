using Portal.Core.Common;
using Portal.Core.Endpoints.Spec;

namespace Portal.Core.Endpoints.Resource;

/// <summary>Where an inference endpoint stands, as the reconciler last observed it.</summary>
public enum EndpointPhase
{
    /// <summary>Requested; no reconciler has touched it yet.</summary>
    Pending = 0,
    /// <summary>First rollout: GPU capacity, then the objects, then the first ready replicas.</summary>
    Deploying = 1,
    /// <summary>Converged and serving: at least one ready replica.</summary>
    Ready = 2,
    /// <summary>Converged with no replica running (minimum 0, no demand): the next request wakes it.</summary>
    ScaledToZero = 3,
    /// <summary>Rolling out a changed spec.</summary>
    Updating = 4,
    /// <summary>Deletion requested; the row goes once the objects are gone and GPU capacity released.</summary>
    Deleting = 5,
    /// <summary>Stopped on an error retrying cannot fix; <see cref="InferenceEndpoint.LastError"/> says what to do.</summary>
    Failed = 6,
}

/// <summary>One observed fact (CapacityReady, Applied, Available, Scaling), with Kubernetes' "True"/"False"/"Unknown".</summary>
public sealed record EndpointCondition(string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

/// <summary>
/// A GPU model-inference endpoint on one of the team's clusters, following the resource pattern of ARCHITECTURE.md:
/// the API writes <see cref="Spec"/> and bumps <see cref="Generation"/>; the reconciler renders, applies and writes
/// the status.
/// </summary>
public sealed class InferenceEndpoint : IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TeamId { get; set; }
    public Guid ClusterId { get; set; }

    /// <summary>DNS-1123 label, unique per cluster, immutable; equals <see cref="EndpointSpec.Name"/>.</summary>
    public required string Name { get; set; }

    // ---- spec: written by the API only ----

    public required EndpointSpec Spec { get; set; }

    /// <summary>Bumped on every spec change (and on the deletion request), never by status writes.</summary>
    public long Generation { get; set; }

    public DateTimeOffset? DeletionRequestedAt { get; set; }

    // ---- status: written by the reconciler only ----

    public EndpointPhase Phase { get; set; }
    public long ObservedGeneration { get; set; }
    public List<EndpointCondition> Conditions { get; set; } = [];
    public int ReadyReplicas { get; set; }
    public int DesiredReplicas { get; set; }

    /// <summary>Where clients reach it: https:// for HTTP, grpcs:// host:443 for gRPC.</summary>
    public List<string> Urls { get; set; } = [];

    /// <summary>Why the replica count is what it is, in a sentence (KEDA's and the HPA's conditions).</summary>
    public string? ScalingReason { get; set; }

    public string? Message { get; set; }

    /// <summary>The last error in plain words with the next step the user can take; null once resolved.</summary>
    public string? LastError { get; set; }

    /// <summary>Objects (apiVersion/kind/name) this endpoint applied last, so the next run prunes what is no longer rendered.</summary>
    public List<string> AppliedObjects { get; set; } = [];

    // ---- reconciliation bookkeeping (see Cluster: unix ms so SQLite compares numbers) ----

    public string? LeaseOwner { get; set; }
    public long LeaseUntilUnixMs { get; set; }
    public long NextAttemptAtUnixMs { get; set; }
    public int Attempt { get; set; }

    public Guid CreatedByUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }

    /// <summary>Sets a condition, keeping its transition time when only the reason or message changed.</summary>
    public void SetCondition(string type, string status, string reason, string message, DateTimeOffset now)
    {
        var index = Conditions.FindIndex(c => c.Type == type);
        var since = index >= 0 && Conditions[index].Status == status ? Conditions[index].LastTransitionTime : now;
        var condition = new EndpointCondition(type, status, reason, message, since);
        var list = Conditions.ToList();
        if (index >= 0) list[index] = condition; else list.Add(condition);
        Conditions = list;
    }
}
