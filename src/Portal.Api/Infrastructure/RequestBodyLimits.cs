using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Portal.Api.Infrastructure;

/// <summary>How big an API request body may be (<c>Api:Limits</c>). Endpoints that need more say so themselves.</summary>
public sealed class ApiLimitsOptions
{
    public const string SectionName = "Api:Limits";
    public const long OneMebibyte = 1024 * 1024;

    /// <summary>Every API body unless its endpoint carries a <see cref="RequestBodyLimit"/>: 1 MiB.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = OneMebibyte;
}

/// <summary>Endpoint metadata raising (or lowering) the body limit of one endpoint; also honoured by Kestrel's routing.</summary>
public sealed record RequestBodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata
{
    public static RequestBodyLimit MiB(int mebibytes) => new(mebibytes * ApiLimitsOptions.OneMebibyte);
}

/// <summary>
/// Refuses an API request whose body is over its endpoint's limit with a 413 problem that states the limit, before
/// anything parses it. Kestrel enforces the same limit while streaming (its feature is set here); a chunked body,
/// which announces no length, is read into a buffer up to the limit first so every server (and the test host, which
/// has no such feature) refuses it the same way.
/// </summary>
public static class RequestBodyLimits
{
    public static IServiceCollection AddRequestBodyLimits(this IServiceCollection services)
    {
        services.AddOptions<ApiLimitsOptions>().BindConfiguration(ApiLimitsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    public static TBuilder WithRequestBodyLimit<TBuilder>(this TBuilder builder, RequestBodyLimit limit) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(limit);

    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize
                    ?? http.RequestServices.GetRequiredService<IOptions<ApiLimitsOptions>>().Value.MaxRequestBodyBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } server) server.MaxRequestBodySize = limit;

        var announced = http.Request.ContentLength;
        if (announced > limit)
        {
            await TooLargeAsync(http, limit, announced);
            return;
        }
        if (announced is null && http.Request.Body.CanRead && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            http.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: limit);
            try
            {
                await http.Request.Body.DrainAsync(http.RequestAborted);
            }
            catch (IOException) when (!http.RequestAborted.IsCancellationRequested)
            {
                await TooLargeAsync(http, limit, null);
                return;
            }
            http.Request.Body.Position = 0;
        }
        await next(http);
    });

    private static Task TooLargeAsync(HttpContext http, long limit, long? announced) =>
        ProblemDetailsExceptionHandler.WriteAsync(http, new ProblemDetails
        {
            Status = StatusCodes.Status413PayloadTooLarge,
            Title = "Request body too large",
            Detail = (announced is { } size ? $"The body is {size.ToString(CultureInfo.InvariantCulture)} bytes; " : "The body is longer than allowed; ")
                     + $"this endpoint accepts at most {Describe(limit)}.",
            Extensions = { ["limitBytes"] = limit },
        });

    private static string Describe(long bytes) => bytes % ApiLimitsOptions.OneMebibyte == 0
        ? $"{(bytes / ApiLimitsOptions.OneMebibyte).ToString(CultureInfo.InvariantCulture)} MiB ({bytes.ToString(CultureInfo.InvariantCulture)} bytes)"
        : $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes";
}
