using System.Collections.Concurrent;

namespace Portal.Emulator.Shared;

public enum FaultKind
{
    /// <summary>AWS: ThrottlingException with HTTP 429 (or 400 for query-protocol STS); Kubernetes: 429 TooManyRequests.</summary>
    Throttle,
    /// <summary>HTTP 500/503 with the service's own error shape.</summary>
    ServerError,
    /// <summary>Answer normally, after <see cref="FaultRule.Latency"/>.</summary>
    Latency,
    /// <summary>
    /// The caller's credentials are no longer accepted: AWS answers 403 ExpiredToken(Exception); Kubernetes answers
    /// 401 Unauthorized, what kube-apiserver says to an expired or unknown bearer token.
    /// </summary>
    ExpiredCredentials,
}

/// <summary>
/// A configured fault: applies to a service ("eks", "sts", "kubernetes" or "*") and an operation (or "*"),
/// either at a rate (0..1) or for the next <see cref="RemainingCalls"/> matching calls. <see cref="StatusCode"/> picks
/// the 5xx of a <see cref="FaultKind.ServerError"/> (500 when null; 503 answers as "service unavailable").
/// </summary>
public sealed record FaultRule(string Service, string Operation, FaultKind Kind, double Rate = 0, int? RemainingCalls = null, TimeSpan Latency = default, int? StatusCode = null)
{
    public bool Matches(string service, string operation) =>
        (Service == "*" || Service == service) && (Operation == "*" || Operation == operation);
}

/// <summary>Decides, per call, whether to inject a fault. Both protocol halves ask it before answering.</summary>
public sealed class FaultInjector
{
    private readonly ConcurrentDictionary<Guid, FaultRule> _rules = new();
    private readonly Lock _gate = new();
    private readonly Random _random;

    public FaultInjector(int? seed = null) => _random = seed is null ? new Random() : new Random(seed.Value);

    public Guid Add(FaultRule rule)
    {
        var id = Guid.NewGuid();
        _rules[id] = rule;
        return id;
    }

    public IReadOnlyDictionary<Guid, FaultRule> Rules => _rules;

    public void Clear() => _rules.Clear();

    /// <summary>The fault to inject for this call, or null. Consumes one of a rule's remaining calls.</summary>
    public FaultRule? Decide(string service, string operation)
    {
        lock (_gate)
        {
            foreach (var (id, rule) in _rules)
            {
                if (!rule.Matches(service, operation)) continue;
                if (rule.RemainingCalls is int remaining)
                {
                    if (remaining <= 1) _rules.TryRemove(id, out _);
                    else _rules[id] = rule with { RemainingCalls = remaining - 1 };
                    return rule;
                }
                if (_random.NextDouble() < rule.Rate) return rule;
            }
            return null;
        }
    }
}
