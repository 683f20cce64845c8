using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Api.Tests.Infrastructure;

/// <summary>Small helpers so tests read as requests and expectations.</summary>
public static class Http
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body, string? idempotencyKey = null) =>
        client.SendJsonAsync(HttpMethod.Post, url, JsonSerializer.Serialize(body, Web), idempotencyKey: idempotencyKey);

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string url, object body, string? ifMatch = null) =>
        client.SendJsonAsync(HttpMethod.Patch, url, JsonSerializer.Serialize(body, Web), ifMatch);

    public static async Task<HttpResponseMessage> SendJsonAsync(
        this HttpClient client, HttpMethod method, string url, string rawJson, string? ifMatch = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(rawJson, Encoding.UTF8, "application/json") };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> DeleteAsync(this HttpClient client, string url, string? ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, url);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request);
    }

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!;

    /// <summary>Asserts the status (showing the body when it differs) and returns the JSON body, if any.</summary>
    public static async Task<JsonObject> ExpectAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} but got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts an RFC 9457 problem with the status and, when given, an error entry for each named field.</summary>
    public static async Task<JsonObject> ExpectProblemAsync(this HttpResponseMessage response, HttpStatusCode status, params string[] fields)
    {
        var problem = await response.ExpectAsync(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        foreach (var field in fields)
        {
            var errors = problem["errors"]?.AsObject();
            Assert.True(errors is not null && errors.ContainsKey(field), $"Expected an error for '{field}' in {problem.ToJsonString()}");
        }
        return problem;
    }

    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
}
