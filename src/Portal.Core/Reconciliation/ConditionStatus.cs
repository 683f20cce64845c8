namespace Portal.Core.Reconciliation;

/// <summary>Kubernetes' condition statuses: a step is known done, known not done, or not yet known.</summary>
public static class ConditionStatus
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";
}
