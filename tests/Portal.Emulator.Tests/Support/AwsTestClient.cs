using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace Portal.Emulator.Tests.Support;

/// <summary>An AWS answer as the tests look at it: status, error type (x-amzn-ErrorType or the XML Code), the body.</summary>
public sealed record AwsResponse(int Status, string? ErrorType, string Body)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    public XDocument Xml => XDocument.Parse(Body);

    public string? Message => ErrorType is null ? null : Body.StartsWith('{') ? (string?)Json["message"] : Xml.Descendants().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value;

    public override string ToString() => $"{Status} {ErrorType}: {Body}";
}

/// <summary>
/// The tests' small typed AWS client: requests signed by AWSSDK.Core's standalone SigV4 signer, at the emulator's
/// clock (so a test that advances the clock still signs "now"). <c>tamper</c> changes a request after signing.
/// </summary>
public sealed class AwsTestClient(Uri baseAddress, AWSCredentials? credentials, TimeProvider clock, string region = "us-east-1") : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress };

    public AWSCredentials? Credentials => credentials;

    public AwsTestClient With(AWSCredentials? other) => new(baseAddress, other, clock, region);

    public Task<AwsResponse> EksAsync(HttpMethod method, string pathAndQuery, JsonObject? body = null, Action<HttpRequestMessage>? tamper = null, CancellationToken ct = default) =>
        SendAsync("eks", method, pathAndQuery, body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json", tamper, ct);

    /// <summary>A Query-protocol STS call: form-encoded parameters posted to "/".</summary>
    public Task<AwsResponse> StsAsync(IEnumerable<KeyValuePair<string, string>> parameters, Action<HttpRequestMessage>? tamper = null, CancellationToken ct = default)
    {
        var form = string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        return SendAsync("sts", HttpMethod.Post, "/", Encoding.UTF8.GetBytes(form), "application/x-www-form-urlencoded; charset=utf-8", tamper, ct);
    }

    public async Task<AwsResponse> SendAsync(string service, HttpMethod method, string pathAndQuery, byte[]? body, string contentType,
        Action<HttpRequestMessage>? tamper = null, CancellationToken ct = default)
    {
        var uri = new Uri(_http.BaseAddress!, pathAndQuery);
        using var message = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (credentials is not null)
        {
            var signing = new AWSSigningRequest { HttpMethod = method, RequestUri = uri, Content = body };
            var signed = await AWSSigV4Signer.SignAsync(signing, new AWSSigV4Parameters
            {
                Credentials = credentials,
                Region = RegionEndpoint.GetBySystemName(region),
                Service = service,
                SignedAt = clock.GetUtcNow().UtcDateTime,
            }, ct);
            foreach (var (name, value) in signed.Headers) message.Headers.TryAddWithoutValidation(name, value);
        }
        tamper?.Invoke(message);
        using var response = await _http.SendAsync(message, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var errorType = response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.First().Split(':')[0] : null;
        if (errorType is null && !response.IsSuccessStatusCode && text.StartsWith('<'))
        {
            try
            {
                errorType = XDocument.Parse(text).Descendants().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value;
            }
            catch (System.Xml.XmlException)
            {
                // Not an AWS error document (an HTML page from a server that does not know the operation).
            }
        }
        return new AwsResponse((int)response.StatusCode, errorType, text);
    }

    /// <summary>An EKS bearer token the way the portal's token provider makes one: a presigned STS GetCallerIdentity URL.</summary>
    public string EksToken(string clusterName, TimeSpan? expiry = null, DateTimeOffset? signedAt = null)
    {
        var request = new AWSSigningRequest
        {
            HttpMethod = HttpMethod.Get,
            RequestUri = new Uri($"https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"),
        };
        request.Headers["x-k8s-aws-id"] = clusterName;
        var presigned = AWSSigV4Signer.Presign(request, new AWSSigV4Parameters
        {
            Credentials = credentials!,
            Region = RegionEndpoint.GetBySystemName(region),
            Service = "sts",
            SignedAt = (signedAt ?? clock.GetUtcNow()).UtcDateTime,
        }, expiry ?? TimeSpan.FromSeconds(60));
        return "k8s-aws-v1." + Convert.ToBase64String(Encoding.UTF8.GetBytes(presigned.Uri.ToString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public void Dispose() => _http.Dispose();
}
