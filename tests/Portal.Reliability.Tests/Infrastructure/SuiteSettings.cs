namespace Portal.Reliability.Tests.Infrastructure;

/// <summary>
/// <c>PORTAL_RELIABILITY_LONG=1</c> runs the long versions (≥ 100 provisioning runs); by default a representative
/// sample fits CI's budget. <c>PORTAL_RELIABILITY_SEED</c> replays a run: every random choice comes from it.
/// </summary>
public static class SuiteSettings
{
    public static bool Long => Environment.GetEnvironmentVariable("PORTAL_RELIABILITY_LONG") is "1" or "true";

    public static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("PORTAL_RELIABILITY_SEED"), out var seed) ? seed : Random.Shared.Next(1, int.MaxValue);

    public static string Version => Long ? "long" : "sample";

    /// <summary>
    /// How long one step may take to converge. Generous on purpose: CI runs every test project at once on two cores,
    /// and a cold worker process then needs tens of seconds for its first step. On a quiet machine steps take seconds.
    /// </summary>
    public static TimeSpan Patience => TimeSpan.FromMinutes(Long ? 15 : 8);

    /// <summary>How long leases and stuck jobs may take to clear once the storm is over.</summary>
    public static TimeSpan Settle => TimeSpan.FromMinutes(3);
}
