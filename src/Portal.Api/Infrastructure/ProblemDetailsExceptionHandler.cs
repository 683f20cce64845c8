using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Idempotency;
using Portal.Core.Common;

namespace Portal.Api.Infrastructure;

/// <summary>
/// The one place API errors become RFC 9457 problems: the Core's domain exceptions, the framework's binding
/// failures (malformed JSON, wrong types, unknown fields, unparsable query values) and our own idempotency refusal.
/// Anything else is left to the default 500 problem, without details.
/// </summary>
public sealed partial class ProblemDetailsExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        // Binding failures are client errors wherever they happen (RouteHandlerOptions.ThrowOnBadRequest is global);
        // domain exceptions outside the API are left to the UI's own error handling.
        if (!http.Request.IsApiRequest() && exception is not BadHttpRequestException) return false;
        var problem = Map(exception);
        if (problem is null) return false;
        await WriteAsync(http, problem);
        return true;
    }

    /// <summary>
    /// Writes a problem through the problem-details service (so customisations such as traceId apply) or, when the
    /// client's Accept header names no JSON type (a browser, curl -H 'Accept: text/html'), as JSON anyway: an API
    /// error is always a problem body.
    /// </summary>
    public static async Task WriteAsync(HttpContext http, ProblemDetails problem)
    {
        http.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        var problems = http.RequestServices.GetService<IProblemDetailsService>();
        if (problems is not null && await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem }))
            return;
        problem.Extensions.TryAdd("traceId", http.TraceIdentifier);
        await http.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json");
    }

    public static ProblemDetails? Map(Exception exception) => exception switch
    {
        NotFoundException e => Problem(StatusCodes.Status404NotFound, "Not found", e.Message),
        ConflictException e => e.Field is null
            ? Problem(StatusCodes.Status409Conflict, "Conflict", e.Message)
            : Invalid(StatusCodes.Status409Conflict, "Conflict", e.Message, new() { [e.Field] = [e.Message] }),
        DomainValidationException e => Invalid(StatusCodes.Status400BadRequest, "Invalid request", "One or more fields are invalid.",
            e.Errors.ToDictionary(x => x.Key, x => x.Value)),
        PreconditionFailedException e => Problem(StatusCodes.Status412PreconditionFailed, "Precondition failed", e.Message),
        ForbiddenException e => Problem(StatusCodes.Status403Forbidden, "Forbidden", e.Message),
        IdempotencyKeyReusedException e => Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused", e.Message),
        BadHttpRequestException { InnerException: JsonException json } => FromJson(json),
        JsonException json => FromJson(json),
        BadHttpRequestException e => FromBinding(e),
        _ => null,
    };

    private static ProblemDetails Problem(int status, string title, string detail) =>
        new() { Status = status, Title = title, Detail = detail };

    private static HttpValidationProblemDetails Invalid(int status, string title, string detail, Dictionary<string, string[]> errors) =>
        new(errors) { Status = status, Title = title, Detail = detail };

    /// <summary>
    /// System.Text.Json names the offending path; some failures (unknown or missing properties) name it only in the
    /// message, so those are read from there. Messages naming .NET types are replaced by plain ones.
    /// </summary>
    private static ProblemDetails FromJson(JsonException json)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var message = json.Message;
        if (UnmappedProperty().Match(message) is { Success: true } unmapped)
        {
            errors[Field(json.Path, unmapped.Groups["name"].Value)] = ["is not a field of this request (check its spelling)."];
        }
        else if (MissingProperties().Match(message) is { Success: true } missing)
        {
            foreach (Match name in QuotedName().Matches(missing.Groups["names"].Value))
                errors[Field(json.Path, name.Groups["name"].Value)] = ["is required."];
        }
        else if (message.Contains("uplicate", StringComparison.Ordinal))
        {
            errors[DuplicateName().Match(message) is { Success: true } duplicate ? Field(json.Path, duplicate.Groups["name"].Value) : PathToField(json.Path) ?? "body"] =
                ["appears more than once in its object; send each field once."];
        }
        else if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            errors[PathToField(json.Path) ?? "body"] = ["nests deeper than this API reads (64 levels)."];
        }
        else if (message.Contains("null", StringComparison.Ordinal) && NullNotAllowed().Match(message) is { Success: true } nulled)
        {
            errors[Field(json.Path, nulled.Groups["name"].Value)] = ["must not be null."];
        }
        else if (json.GetType() != typeof(JsonException))
        {
            // The reader's own exception: the body is not JSON at all. Its message says where, without .NET types.
            errors[PathToField(json.Path) ?? "body"] = [$"is not valid JSON: {StripPosition(message)}"];
        }
        else
        {
            errors[PathToField(json.Path) ?? "body"] = [message.StartsWith("must ", StringComparison.Ordinal)
                ? message
                : "has the wrong JSON type or an unknown value for this field."];
        }
        return Invalid(StatusCodes.Status400BadRequest, "Invalid request body", "The request body could not be read; see errors.", errors);
    }

    private static ProblemDetails FromBinding(BadHttpRequestException e)
    {
        if (e.StatusCode != StatusCodes.Status400BadRequest)
            return Problem(e.StatusCode, e.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "Unsupported media type" : "Bad request", e.Message);
        var name = BindingParameter().Match(e.Message) is { Success: true } m ? m.Groups["name"].Value : "request";
        return Invalid(StatusCodes.Status400BadRequest, "Invalid request", e.Message, new() { [name] = [e.Message] });
    }

    /// <summary>"$.owner.email" → "owner.email"; a name found in a message is appended to the path of its object.</summary>
    private static string Field(string? path, string name)
    {
        var parent = PathToField(path);
        if (parent is null) return name;
        // Messages may name the .NET member (DisplayName) where the path already names the JSON one (displayName).
        return parent.EndsWith(name, StringComparison.OrdinalIgnoreCase) ? parent : $"{parent}.{name}";
    }

    private static string? PathToField(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return null;
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length == 0 ? null : field;
    }

    private static string StripPosition(string message)
    {
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut < 0 ? message : message[..cut];
    }

    [GeneratedRegex("The JSON property '(?<name>[^']+)' could not be mapped")]
    private static partial Regex UnmappedProperty();

    [GeneratedRegex("[Dd]uplicate[^']*'(?<name>[^']+)'")]
    private static partial Regex DuplicateName();

    [GeneratedRegex("missing required properties including: (?<names>.+)$", RegexOptions.Singleline)]
    private static partial Regex MissingProperties();

    [GeneratedRegex("'(?<name>[^']+)'")]
    private static partial Regex QuotedName();

    [GeneratedRegex("(?:parameter|property or field) '(?<name>[^']+)'")]
    private static partial Regex NullNotAllowed();

    [GeneratedRegex("parameter \"(?:[^\"]* )?(?<name>[^\" ]+)\"")]
    private static partial Regex BindingParameter();
}
