using Portal.Core.Persistence;

namespace Portal.Core.Events;

/// <summary>
/// Adds a timeline event to the same DbContext as the change or status it describes, so the timeline never claims
/// a step the database does not show (and never misses one it does).
/// </summary>
public static class EventLog
{
    public const string ClusterResource = "cluster";

    public static ResourceEvent Record(
        PortalDbContext db, DateTimeOffset at, Guid teamId, string resourceType, Guid resourceId,
        string step, EventOutcome outcome, string message)
    {
        var entry = new ResourceEvent
        {
            TeamId = teamId,
            ResourceType = resourceType,
            ResourceId = resourceId,
            At = at,
            Step = step.Length <= ResourceEvent.StepMaxLength ? step : step[..ResourceEvent.StepMaxLength],
            Outcome = outcome,
            // A long cloud error must not make the status write it belongs to fail (PostgreSQL enforces lengths).
            Message = message.Length <= ResourceEvent.MessageMaxLength ? message : message[..(ResourceEvent.MessageMaxLength - 1)] + "…",
        };
        db.ResourceEvents.Add(entry);
        return entry;
    }

    /// <summary>Shorthand for a cluster's timeline.</summary>
    public static ResourceEvent RecordCluster(
        PortalDbContext db, DateTimeOffset at, Clusters.Cluster cluster, string step, EventOutcome outcome, string message) =>
        Record(db, at, cluster.TeamId, ClusterResource, cluster.Id, step, outcome, message);
}
