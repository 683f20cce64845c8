namespace Portal.Emulator.Shared;

/// <summary>
/// Raised by <c>POST /_emulator/reset</c> and <c>EmulatorHost.ResetAsync</c> after the AWS state, counters and
/// faults are cleared, so each half can forget its own state (the Kubernetes half its objects).
/// </summary>
public sealed class EmulatorReset
{
    public event Action? Resetting;

    public void Raise() => Resetting?.Invoke();
}
