using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Portal.Api.Infrastructure;

/// <summary>What every problem body carries, whoever wrote it (our handler, the validation filter, status pages).</summary>
public static class ApiProblemDetails
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Instance ??= context.HttpContext.Request.Path;
        problem.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
        if (problem is HttpValidationProblemDetails validation) CamelCaseErrors(validation);
    }

    /// <summary>
    /// The built-in validation names fields by their .NET members (<c>DisplayName</c>, <c>Owner.Email</c>); clients
    /// know them by their JSON names, so keys and the names inside messages are camelCased segment by segment.
    /// Keys with a dash (header names such as Idempotency-Key) are left as they are.
    /// </summary>
    private static void CamelCaseErrors(HttpValidationProblemDetails validation)
    {
        var renamed = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (key, messages) in validation.Errors)
        {
            if (key.Contains('-'))
            {
                renamed[key] = messages;
                continue;
            }
            var segments = key.Split('.');
            var camel = string.Join('.', segments.Select(JsonNamingPolicy.CamelCase.ConvertName));
            var last = segments[^1].Split('[')[0];
            var lastCamel = JsonNamingPolicy.CamelCase.ConvertName(last);
            renamed[camel] = renamed.TryGetValue(camel, out var existing)
                ? [.. existing, .. messages]
                : messages.Select(m => m.Replace($"field {last} ", $"field {lastCamel} ", StringComparison.Ordinal)).ToArray();
        }
        validation.Errors = renamed;
    }
}
