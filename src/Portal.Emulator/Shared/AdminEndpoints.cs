using Portal.Emulator.Aws;
using Portal.Emulator.Aws.Identity;

namespace Portal.Emulator.Shared;

/// <summary>A fault as <c>POST /_emulator/faults</c> takes it.</summary>
public sealed record FaultRequest(string Service = "*", string Operation = "*", FaultKind Kind = FaultKind.Throttle, double Rate = 0,
    int? RemainingCalls = null, int LatencyMs = 0, int? StatusCode = null)
{
    public FaultRule ToRule() => new(Service, Operation, Kind, Rate, RemainingCalls, TimeSpan.FromMilliseconds(LatencyMs), StatusCode);
}

/// <summary>
/// <c>/_emulator/</c>: observation and control for tests and people — call counters, fault injection, reset,
/// accounts and clusters. Unauthenticated: the emulator listens on loopback.
/// </summary>
public static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/_emulator");
        admin.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        admin.MapGet("/calls", (EmulatorCalls calls, string? service, string? operation, string? cluster) =>
        {
            var matching = calls.All.Where(c => (service is null || c.Service == service)
                && (operation is null || c.Operation == operation)
                && (cluster is null || c.Cluster == cluster)).ToList();
            return Results.Ok(new
            {
                count = matching.Count,
                writes = matching.Count(c => c.IsWrite),
                byOperation = matching.GroupBy(c => $"{c.Service}:{c.Operation}").ToDictionary(g => g.Key, g => g.Count()),
                calls = matching,
            });
        });
        admin.MapDelete("/calls", (EmulatorCalls calls) =>
        {
            calls.Reset();
            return Results.NoContent();
        });
        admin.MapGet("/faults", (FaultInjector faults) => Results.Ok(faults.Rules.Select(r => new { id = r.Key, rule = r.Value })));
        admin.MapPost("/faults", (FaultRequest request, FaultInjector faults) =>
        {
            if (request.Rate is < 0 or > 1) return Results.BadRequest(new { message = "rate must be between 0 and 1" });
            if (request.RemainingCalls is < 1) return Results.BadRequest(new { message = "remainingCalls must be at least 1" });
            return Results.Ok(new { id = faults.Add(request.ToRule()) });
        });
        admin.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        admin.MapPost("/reset", (EmulatorCalls calls, FaultInjector faults, AwsState state, EmulatorReset reset) =>
        {
            Reset(calls, faults, state, reset);
            return Results.NoContent();
        });
        admin.MapGet("/accounts", (AccountStore accounts) => Results.Ok(accounts.Accounts.Select(a => new
        {
            id = a.Id,
            name = a.Name,
            accessKeyId = a.AccessKeyId,
            secretAccessKey = a.SecretAccessKey,
            userArn = a.AccessKeyId is null ? null : AccountStore.UserArn(a),
            roles = a.Roles.Select(r => new { arn = AccountStore.RoleArn(a.Id, r.Name), externalId = r.ExternalId, trustedAccounts = r.TrustedAccounts }),
        })));
        admin.MapGet("/clusters", (ClusterDirectory clusters) => Results.Ok(clusters.All()));
    }

    public static void Reset(EmulatorCalls calls, FaultInjector faults, AwsState state, EmulatorReset reset)
    {
        faults.Clear();
        state.Clear();
        calls.Reset();
        reset.Raise();
    }
}
