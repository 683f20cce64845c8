namespace Portal.Api.Tests.Infrastructure;

/// <summary>The one seam tests replace: time, so token expiry can be reached without waiting.</summary>
public sealed class TestClock : TimeProvider
{
    private TimeSpan _offset;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _offset;

    public void Advance(TimeSpan by) => _offset += by;
}
