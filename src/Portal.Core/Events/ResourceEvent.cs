namespace Portal.Core.Events;

public enum EventOutcome
{
    Started = 0,
    Succeeded = 1,
    Failed = 2,
    Info = 3,
}

/// <summary>
/// One line of a resource's user-facing timeline ("Creating node group gpu: started"). Unlike the audit log, which
/// records who changed what, events record what the platform did about it, step by step.
/// </summary>
public sealed class ResourceEvent
{
    public const int StepMaxLength = 64;
    public const int MessageMaxLength = 2000;

    /// <summary>Monotonic, so timelines sort by id instead of by timestamp (SQLite cannot).</summary>
    public long Id { get; set; }

    public Guid TeamId { get; set; }

    /// <summary>"cluster", later "addon-installation", "inference-endpoint".</summary>
    public required string ResourceType { get; set; }

    public Guid ResourceId { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>Short machine-readable step such as <c>requested</c>, <c>control-plane</c>, <c>nodegroup:gpu</c>.</summary>
    public required string Step { get; set; }

    public EventOutcome Outcome { get; set; }
    public required string Message { get; set; }
}
