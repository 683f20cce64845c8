using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portal.Api.Infrastructure;

/// <summary>
/// Refuses API requests whose path segments or query values hold control characters (a decoded <c>%00</c>, <c>%1B</c>,
/// <c>%0A</c>…) with a 400 naming the parameter. No identifier or filter has a use for them, and PostgreSQL refuses a
/// NUL in any text parameter, which made such a request a 500 (found by the input suite of issue 9).
/// </summary>
public static class ControlCharacterGuard
{
    public static IApplicationBuilder UseControlCharacterGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, value) in http.Request.RouteValues)
            if (value is string text && HasControlCharacter(text)) errors[name] = ["must not contain control characters."];
        foreach (var (name, values) in http.Request.Query)
            if (HasControlCharacter(name) || values.Any(v => v is not null && HasControlCharacter(v)))
                errors[HasControlCharacter(name) ? "query" : name] = ["must not contain control characters."];
        if (errors.Count == 0)
        {
            await next(http);
            return;
        }
        await ProblemDetailsExceptionHandler.WriteAsync(http, new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid request",
            Detail = "The path or query string holds control characters.",
        });
    });

    private static bool HasControlCharacter(string text) => text.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') >= 0 || text.Contains('\u007f');
}
