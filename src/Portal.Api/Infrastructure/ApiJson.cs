using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Api.Infrastructure;

/// <summary>
/// The wire format of every endpoint: camelCase, enums as kebab-case strings (<c>best-effort</c>, <c>dev</c>),
/// timestamps as UTC ISO 8601 with a <c>Z</c>, and strict input (no numbers in strings, no integers for enums, no
/// null for non-nullable fields), so a script's mistake is a 400 naming the field rather than a silent guess.
/// </summary>
public static class ApiJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        // {"slug":"a","slug":"b"} is ambiguous (parsers disagree on which wins): refuse it rather than guess.
        options.AllowDuplicateProperties = false;
        // Every request contract is strict, nested ones included: a misspelt field is a 400 naming it, never silently dropped.
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        options.Converters.Add(new UtcDateTimeOffsetConverter());
    }

    /// <summary>PostgreSQL hands back UTC with a +00:00 offset and SQLite whatever was stored: always write Z.</summary>
    private sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var value))
                throw new JsonException("must be an ISO 8601 timestamp such as 2030-01-31T12:00:00Z.");
            return value.ToUniversalTime();
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
    }
}
