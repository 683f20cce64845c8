namespace Portal.Core.Tests.Cloud.Support;

/// <summary>
/// Real time plus an offset a test can jump forward: timestamps keep increasing (so the emulator's call log shows
/// real gaps between retries) while an hour of credential lifetime passes in one call.
/// </summary>
public sealed class ShiftableClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
