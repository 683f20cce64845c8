using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Persistence;

/// <summary>
/// Small structured values (tags, labels, taints, conditions) stored as JSON text: the same column type and
/// behaviour on SQLite and PostgreSQL, and never queried inside. The comparer compares serialized forms, so EF
/// notices in-place edits of a list or dictionary too.
/// </summary>
internal static class JsonColumns
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static PropertyBuilder<T> HasJsonConversion<T>(this PropertyBuilder<T> property) where T : class, new()
    {
        property.HasConversion(
            v => Serialize(v),
            s => Deserialize<T>(s),
            new ValueComparer<T>(
                (a, b) => Serialize(a) == Serialize(b),
                v => Serialize(v).GetHashCode(StringComparison.Ordinal),
                v => Deserialize<T>(Serialize(v))));
        return property;
    }

    /// <summary>
    /// For an immutable record (an endpoint's spec): no parameterless constructor, so a missing value is an error
    /// rather than an empty default. Records compare by value, which is what change tracking needs.
    /// </summary>
    public static PropertyBuilder<T> HasJsonRecordConversion<T>(this PropertyBuilder<T> property) where T : class
    {
        property.HasConversion(
            v => Serialize(v),
            s => JsonSerializer.Deserialize<T>(s, Json)!,
            new ValueComparer<T>(
                (a, b) => Serialize(a) == Serialize(b),
                v => Serialize(v).GetHashCode(StringComparison.Ordinal),
                v => JsonSerializer.Deserialize<T>(Serialize(v), Json)!));
        return property;
    }

    private static string Serialize<T>(T? value) => JsonSerializer.Serialize(value, Json);

    private static T Deserialize<T>(string? text) where T : class, new() =>
        string.IsNullOrEmpty(text) ? new T() : JsonSerializer.Deserialize<T>(text, Json) ?? new T();
}
