using System.Net;

namespace Portal.Core.Cloud.Aws;

/// <summary>
/// An error answer from an AWS service (EKS or STS), whatever client produced it, so reconcilers handle one type:
/// the error code (<c>x-amzn-ErrorType</c>, JSON <c>__type</c> or the Query protocol's <c>Code</c>), message, status
/// and request id.
/// </summary>
public sealed class AwsServiceException(string errorType, string message, HttpStatusCode statusCode, string? requestId, string operation, Exception? inner = null)
    : Exception($"{operation}: {errorType}: {message}", inner)
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        // The codes the AWS SDKs treat as throttling (botocore's retry handler and the .NET SDK's standard mode).
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    };

    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
        "ServiceUnavailableException", "ServerException", "IDPCommunicationError",
        // Role credentials that expired while a run used them (a long run, or clock skew): the next run assumes the role
        // again, so trying later succeeds. Treated as final, this stopped a healthy cluster as Failed.
        "ExpiredToken", "ExpiredTokenException",
    };

    /// <summary>The AWS error code without namespace or URI suffix, e.g. <c>ResourceNotFoundException</c>.</summary>
    public string ErrorType { get; } = errorType;

    /// <summary>The service's own message, without the operation and code this exception's <see cref="Exception.Message"/> adds.</summary>
    public string ServiceMessage { get; } = message;

    public HttpStatusCode StatusCode { get; } = statusCode;

    public string? RequestId { get; } = requestId;

    /// <summary>The operation that failed (<c>CreateCluster</c>, <c>AssumeRole</c>).</summary>
    public string Operation { get; } = operation;

    public bool IsNotFound => ErrorType is "ResourceNotFoundException" or "NotFoundException" || StatusCode == HttpStatusCode.NotFound;

    /// <summary>The resource exists already or is busy (creating the same name twice, deleting a cluster with node groups).</summary>
    public bool IsInUse => ErrorType is "ResourceInUseException" || StatusCode == HttpStatusCode.Conflict;

    public bool IsThrottling => ThrottlingCodes.Contains(ErrorType) || StatusCode == HttpStatusCode.TooManyRequests;

    public bool IsAccessDenied => ErrorType is "AccessDenied" or "AccessDeniedException";

    /// <summary>Throttling and server-side failures: trying again later may succeed. Validation (4xx) errors never do.</summary>
    public bool IsRetryable => IsThrottling || TransientCodes.Contains(ErrorType) || (int)StatusCode >= 500;
}
