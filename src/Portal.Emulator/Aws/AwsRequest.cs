using Microsoft.AspNetCore.Http.Features;
using Portal.Emulator.Aws.Identity;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Aws;

/// <summary>What every AWS call goes through before its operation runs: counting, fault injection, reading the signed request.</summary>
public static class AwsRequest
{
    /// <summary>The request as SigV4 sees it: the raw (still percent-encoded) target, the headers and the whole body.</summary>
    public static async Task<SignedRequest> ReadAsync(HttpContext context, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, ct);
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path + context.Request.QueryString;
        var headers = context.Request.Headers.ToDictionary(
            h => h.Key.ToLowerInvariant(),
            h => string.Join(',', h.Value.Select(v => v?.Trim())),
            StringComparer.OrdinalIgnoreCase);
        return new SignedRequest(context.Request.Method, context.Request.Scheme, context.Request.Host.Value ?? "", rawTarget, headers, buffer.ToArray());
    }

    /// <summary>Applies a configured fault: waits for latency (then the call proceeds), or returns the fault to answer with.</summary>
    public static async Task<FaultRule?> ApplyFaultAsync(FaultInjector faults, string service, string operation, CancellationToken ct)
    {
        var fault = faults.Decide(service, operation);
        if (fault is null) return null;
        // Latency uses the real clock: a test's manual clock would never let the call finish.
        if (fault.Latency > TimeSpan.Zero) await Task.Delay(fault.Latency, ct);
        return fault.Kind == FaultKind.Latency ? null : fault;
    }

    public static string RequestId() => Guid.NewGuid().ToString();
}
