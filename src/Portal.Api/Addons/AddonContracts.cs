using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Portal.Api.Clusters;
using Portal.Api.Infrastructure;
using Portal.Core.Addons.Installations;
using Portal.Core.Environments;
using Portal.Core.Events;

namespace Portal.Api.Addons;

/// <summary>
/// Installs a catalogue add-on. <c>version</c> defaults to the newest the cluster's environment allows; <c>values</c>
/// are overrides merged over the version's defaults and checked against its values schema. When the add-on requires
/// others that are not installed, the answer is 409 naming them unless <c>installDependencies</c> is true.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record InstallAddonRequest(
    [property: MaxLength(AddonInstallation.AddonIdMaxLength)] string AddonId,
    [property: MaxLength(AddonInstallation.VersionMaxLength)] string? Version = null,
    JsonObject? Values = null,
    bool InstallDependencies = false);

/// <summary>A partial update: <c>version</c> and/or <c>values</c> (the complete new overrides). Honours If-Match.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpdateAddonRequest(
    [property: MaxLength(AddonInstallation.VersionMaxLength)] string? Version = null,
    JsonObject? Values = null);

public sealed record AddonSpecResponse(string Version, JsonObject Values);

/// <summary>What Argo CD last reported: <c>syncStatus</c> and <c>healthStatus</c> verbatim, <c>message</c> in plain words (Argo's own when Degraded).</summary>
public sealed record AddonStatusResponse(
    AddonPhase Phase,
    long ObservedGeneration,
    string? SyncStatus,
    string? HealthStatus,
    string? Message,
    string? LastError,
    IReadOnlyList<ConditionResponse> Conditions);

/// <summary>An add-on installed on a cluster: converged when <c>status.observedGeneration</c> equals <c>generation</c>.</summary>
public sealed record AddonResponse(
    string AddonId,
    string Team,
    string Cluster,
    EnvironmentName Environment,
    long Generation,
    AddonSpecResponse Spec,
    AddonStatusResponse Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? UninstallRequestedAt,
    long Version) : IVersionedResponse
{
    public static AddonResponse From(AddonInstallationView view)
    {
        var a = view.Installation;
        return new AddonResponse(a.AddonId, view.Team, view.Cluster, view.Environment, a.Generation,
            new AddonSpecResponse(a.CatalogVersion, a.Values),
            new AddonStatusResponse(a.Phase, a.ObservedGeneration, a.SyncStatus, a.HealthStatus, a.Message, a.LastError,
                a.Conditions.Select(c => new ConditionResponse(c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime)).ToList()),
            a.CreatedAt, a.UpdatedAt, a.UninstallRequestedAt, a.Version);
    }
}

public sealed record AddonEventResponse(long Id, DateTimeOffset At, string Step, EventOutcome Outcome, string Message)
{
    public static AddonEventResponse From(ResourceEvent e) => new(e.Id, e.At, e.Step, e.Outcome, e.Message);
}

/// <summary>One line of the diff: <c>fromVersion</c> is the target's now, <c>toVersion</c> the source's; <c>changedValuePaths</c> are JSON paths.</summary>
public sealed record PromotionChangeResponse(string AddonId, PromotionChangeKind Kind, string? FromVersion, string? ToVersion, IReadOnlyList<string> ChangedValuePaths);

/// <summary>
/// The promotion of <c>source</c>'s add-ons onto <c>target</c>: the exact diff, every reason it cannot be applied
/// (<c>blockers</c>, empty when it can), and whether this request applied it.
/// </summary>
public sealed record PromotionResponse(
    string Source,
    EnvironmentName SourceEnvironment,
    string Target,
    EnvironmentName TargetEnvironment,
    IReadOnlyList<PromotionChangeResponse> Changes,
    IReadOnlyList<string> Blockers,
    bool Applied)
{
    public static PromotionResponse From(AddonPromotion p) => new(p.Source, p.SourceEnvironment, p.Target, p.TargetEnvironment,
        p.Changes.Select(c => new PromotionChangeResponse(c.AddonId, c.Kind, c.FromVersion, c.ToVersion, c.ChangedValuePaths)).ToList(),
        p.Blockers, p.Applied);
}

/// <summary>Lets a team install any version of an add-on in any environment. The reason is kept and audited.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateMaturityOverrideRequest(
    [property: MaxLength(AddonInstallation.AddonIdMaxLength)] string AddonId,
    [property: MaxLength(MaturityOverride.ReasonMaxLength)] string Reason);

public sealed record MaturityOverrideResponse(string AddonId, string Reason, string CreatedBy, DateTimeOffset CreatedAt)
{
    public static MaturityOverrideResponse From(MaturityOverride o) => new(o.AddonId, o.Reason, o.CreatedBy, o.CreatedAt);
}

public sealed record MaturityOverrideListResponse(IReadOnlyList<MaturityOverrideResponse> Items);
