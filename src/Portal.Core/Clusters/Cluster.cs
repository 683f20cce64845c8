using Portal.Core.Common;

namespace Portal.Core.Clusters;

/// <summary>Where a cluster stands, as the reconciler last observed it.</summary>
public enum ClusterPhase
{
    /// <summary>Requested; no reconciler has touched it yet.</summary>
    Pending = 0,
    /// <summary>Being created: control plane, node groups, bootstrap.</summary>
    Provisioning = 1,
    /// <summary>Converged: the observed state matches the spec.</summary>
    Ready = 2,
    /// <summary>Converging towards a changed spec (scaling, pools, version upgrade).</summary>
    Updating = 3,
    /// <summary>Deletion requested; the row disappears when everything in AWS is gone.</summary>
    Deleting = 4,
    /// <summary>Stopped on an error retrying cannot fix; <see cref="Cluster.LastError"/> says what to do.</summary>
    Failed = 5,
    /// <summary>Registered by kubeconfig: the portal manages add-ons and endpoints on it, not its lifecycle.</summary>
    Attached = 6,
}

/// <summary>Whether the portal owns the cluster's lifecycle.</summary>
public enum ClusterKind
{
    /// <summary>An EKS cluster the portal creates, changes and deletes.</summary>
    Managed = 0,
    /// <summary>Someone else's cluster, reached by a stored kubeconfig.</summary>
    Attached = 1,
}

/// <summary>Who can reach the Kubernetes API server: anyone (with credentials) or only the cluster's VPC.</summary>
public enum EndpointAccess
{
    Public = 0,
    Private = 1,
}

/// <summary>
/// One observed fact about a step (ControlPlaneReady, NodePoolsReady, Bootstrapped...), as Kubernetes conditions
/// read. <paramref name="Status"/> is Kubernetes' "True", "False" or "Unknown", kept as text so the JSON matches
/// what the reconciliation helpers and kubectl users expect.
/// </summary>
public sealed record ClusterCondition(
    string Type,
    string Status,
    string Reason,
    string Message,
    DateTimeOffset LastTransitionTime);

/// <summary>
/// A team's Kubernetes cluster in one of its environments, following the resource pattern of ARCHITECTURE.md:
/// the API writes the spec and bumps <see cref="Generation"/>; the reconciler writes the status and records which
/// generation it has converged (<see cref="ObservedGeneration"/>). The row is the truth, not the job queue.
/// </summary>
public sealed class Cluster : IVersioned
{
    public const int NameMinLength = 1;
    public const int NameMaxLength = 40;
    public const int MaxTags = 40;
    public const int MaxNodePools = 20;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TeamId { get; set; }
    public Guid EnvironmentId { get; set; }

    /// <summary>DNS-1123 label, unique per team, immutable.</summary>
    public required string Name { get; set; }

    /// <summary>
    /// The EKS cluster's name in the environment's account, fixed at creation: "team-env-name", so two teams sharing
    /// an account (or one team's environments sharing one) never collide. At most 30+1+7+1+40 = 79 of EKS's 100.
    /// </summary>
    public required string EksName { get; set; }

    public ClusterKind Kind { get; set; }

    // ---- spec: written by the API only ----

    /// <summary>"major.minor", one of <c>Clusters:KubernetesVersions</c>.</summary>
    public required string KubernetesVersion { get; set; }

    public EndpointAccess EndpointAccess { get; set; }

    /// <summary>The user's own tags; the reconciler adds the platform's (team, environment, cluster, cost centre).</summary>
    public Dictionary<string, string> Tags { get; set; } = [];

    public List<NodePool> NodePools { get; set; } = [];

    /// <summary>Bumped on every spec change (and on the deletion request), never by status writes.</summary>
    public long Generation { get; set; }

    /// <summary>When someone asked for deletion; the reconciler then tears down and removes the row.</summary>
    public DateTimeOffset? DeletionRequestedAt { get; set; }

    // ---- status: written by the reconciler only ----

    public ClusterPhase Phase { get; set; }
    public long ObservedGeneration { get; set; }
    public List<ClusterCondition> Conditions { get; set; } = [];

    /// <summary>What is happening now, in a sentence for the UI.</summary>
    public string? Message { get; set; }

    /// <summary>The last error in plain words with the next step the user can take; null once resolved.</summary>
    public string? LastError { get; set; }

    public string? KubernetesEndpoint { get; set; }

    /// <summary>The API server's CA bundle, base64 PEM as EKS returns it (public, not a secret).</summary>
    public string? CertificateAuthority { get; set; }

    /// <summary>The control plane's observed "major.minor".</summary>
    public string? CurrentVersion { get; set; }

    public string? EksArn { get; set; }

    /// <summary>
    /// Hash of the bootstrap objects (namespaces, Argo CD's CRDs, project and install) and the generation they were last
    /// verified for: while it matches what would be rendered now, runs skip reading them back one by one.
    /// </summary>
    public string? BootstrapAppliedHash { get; set; }

    // ---- reconciliation bookkeeping ----
    // Unix milliseconds rather than DateTimeOffset: the lease and the schedule are compared in SQL ("claim if the
    // lease expired", "due if next attempt <= now"), and SQLite cannot compare DateTimeOffset columns.

    /// <summary>The worker holding the lease, null when free.</summary>
    public string? LeaseOwner { get; set; }

    public long LeaseUntilUnixMs { get; set; }

    /// <summary>Earliest time the next reconcile should run (backoff and long cloud waits).</summary>
    public long NextAttemptAtUnixMs { get; set; }

    /// <summary>Consecutive failed or waiting attempts, for backoff; reset on progress.</summary>
    public int Attempt { get; set; }

    // ---- attached clusters ----

    /// <summary>
    /// The kubeconfig of an attached cluster, protected with ASP.NET Core Data Protection (purpose
    /// <c>Portal.Clusters.Kubeconfig</c>). Never returned by the API, never in the audit log.
    /// </summary>
    public byte[]? ProtectedKubeconfig { get; set; }

    public Guid CreatedByUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }

    public bool IsAttached => Kind == ClusterKind.Attached;

    /// <summary>
    /// Sets a condition, keeping its transition time when only the reason or message changed (Kubernetes semantics:
    /// the time says when the status last flipped).
    /// </summary>
    public void SetCondition(string type, string status, string reason, string message, DateTimeOffset now)
    {
        var index = Conditions.FindIndex(c => c.Type == type);
        var since = index >= 0 && Conditions[index].Status == status ? Conditions[index].LastTransitionTime : now;
        var condition = new ClusterCondition(type, status, reason, message, since);
        // A new list, so EF's change tracking of the JSON column sees the change whatever comparer it uses.
        var list = Conditions.ToList();
        if (index >= 0) list[index] = condition; else list.Add(condition);
        Conditions = list;
    }
}
