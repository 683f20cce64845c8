using System.Text.Json.Nodes;
using Portal.Core.Common;

namespace Portal.Core.Addons.Installations;

/// <summary>Where an installation stands, as the reconciler last observed it through Argo CD.</summary>
public enum AddonPhase
{
    /// <summary>Recorded; waiting for a worker, or for the add-ons it requires to become Healthy.</summary>
    Pending = 0,
    /// <summary>The Argo CD Application was (re)applied; Argo CD has not reported on it yet.</summary>
    Installing = 1,
    /// <summary>Argo CD is syncing, or the workload is starting (health Progressing).</summary>
    Progressing = 2,
    /// <summary>Synced and Healthy: the observed state matches the spec.</summary>
    Healthy = 3,
    /// <summary>Argo CD reports the workload (or its source) Degraded; <see cref="AddonInstallation.Message"/> says why.</summary>
    Degraded = 4,
    /// <summary>Argo CD reports the workload's resources Missing.</summary>
    Missing = 5,
    /// <summary>Uninstall requested; the row goes once the cluster confirms the Application is gone.</summary>
    Uninstalling = 6,
    /// <summary>Stopped on an error retrying cannot fix; <see cref="AddonInstallation.LastError"/> says what to do.</summary>
    Failed = 7,
}

/// <summary>One observed fact (Applied, Healthy), as Kubernetes conditions read.</summary>
public sealed record AddonCondition(string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

/// <summary>
/// A catalogue add-on installed on one cluster, delivered as an Argo CD Application (ARCHITECTURE.md, "Add-on
/// catalogue"). The resource pattern of <see cref="Clusters.Cluster"/>: the API writes the spec and bumps
/// <see cref="Generation"/>, the reconciler writes the status from what Argo CD reports.
/// </summary>
public sealed class AddonInstallation : IVersioned
{
    public const int AddonIdMaxLength = 63;
    public const int VersionMaxLength = 64;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TeamId { get; set; }
    public Guid ClusterId { get; set; }

    /// <summary>The catalogue id; also the Argo CD Application's name. Immutable.</summary>
    public required string AddonId { get; set; }

    // ---- spec: written by the API only ----

    /// <summary>A version of the catalogue entry.</summary>
    public required string CatalogVersion { get; set; }

    /// <summary>The user's overrides only (a JSON object as text), merged over the version's default values at apply time.</summary>
    public string ValuesJson { get; set; } = "{}";

    public long Generation { get; set; }

    /// <summary>When someone asked for the uninstall; the reconciler then deletes the Application and, once it is gone, the row.</summary>
    public DateTimeOffset? UninstallRequestedAt { get; set; }

    // ---- status: written by the reconciler only ----

    public AddonPhase Phase { get; set; }
    public long ObservedGeneration { get; set; }

    /// <summary>Argo CD's sync status (Synced, OutOfSync, Unknown) as last read.</summary>
    public string? SyncStatus { get; set; }

    /// <summary>Argo CD's health status (Healthy, Progressing, Degraded, Missing, Suspended, Unknown) as last read.</summary>
    public string? HealthStatus { get; set; }

    /// <summary>What is happening, in a sentence for the UI; for Degraded, Argo CD's own message.</summary>
    public string? Message { get; set; }

    public string? LastError { get; set; }

    public List<AddonCondition> Conditions { get; set; } = [];

    // ---- reconciliation bookkeeping (the same columns and meaning as Cluster's) ----

    public string? LeaseOwner { get; set; }
    public long LeaseUntilUnixMs { get; set; }
    public long NextAttemptAtUnixMs { get; set; }
    public int Attempt { get; set; }

    public Guid CreatedByUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }

    public JsonObject Values
    {
        get => JsonNode.Parse(ValuesJson) as JsonObject ?? [];
        set => ValuesJson = value.ToJsonString();
    }

    public bool IsUninstalling => UninstallRequestedAt is not null;

    public void SetCondition(string type, string status, string reason, string message, DateTimeOffset now)
    {
        var index = Conditions.FindIndex(c => c.Type == type);
        var since = index >= 0 && Conditions[index].Status == status ? Conditions[index].LastTransitionTime : now;
        var list = Conditions.ToList();
        var condition = new AddonCondition(type, status, reason, message, since);
        if (index >= 0) list[index] = condition; else list.Add(condition);
        Conditions = list;
    }
}

/// <summary>
/// A platform admin's exception to the maturity policy: the team may install any version of <see cref="AddonId"/> in
/// any environment. Created and deleted by platform admins only, always with a reason, always audited.
/// </summary>
public sealed class MaturityOverride
{
    public const int ReasonMaxLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TeamId { get; set; }
    public required string AddonId { get; set; }
    public required string Reason { get; set; }
    public Guid CreatedByUserId { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
