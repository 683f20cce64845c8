using MudBlazor;
using Portal.Core.Endpoints.Resource;

namespace Portal.Web.Components.Shared.Endpoints;

/// <summary>How an endpoint's phase reads: its name, colour and icon (never colour alone), and whether work is under way.</summary>
public static class EndpointStatusLabels
{
    public static string Of(EndpointPhase phase) => phase == EndpointPhase.ScaledToZero ? "Scaled to zero" : phase.ToString();

    public static Color ColorOf(EndpointPhase phase) => phase switch
    {
        EndpointPhase.Ready => Color.Success,
        EndpointPhase.ScaledToZero => Color.Secondary,
        EndpointPhase.Deploying or EndpointPhase.Updating => Color.Info,
        EndpointPhase.Deleting => Color.Warning,
        EndpointPhase.Failed => Color.Error,
        _ => Color.Default,
    };

    public static string IconOf(EndpointPhase phase) => phase switch
    {
        EndpointPhase.Ready => Icons.Material.Filled.CheckCircle,
        EndpointPhase.ScaledToZero => Icons.Material.Filled.Bedtime,
        EndpointPhase.Deploying or EndpointPhase.Updating => Icons.Material.Filled.Autorenew,
        EndpointPhase.Deleting => Icons.Material.Filled.DeleteSweep,
        EndpointPhase.Failed => Icons.Material.Filled.Error,
        _ => Icons.Material.Filled.HourglassEmpty,
    };

    public static bool IsBusy(EndpointPhase phase) =>
        phase is EndpointPhase.Pending or EndpointPhase.Deploying or EndpointPhase.Updating or EndpointPhase.Deleting;
}
