using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;
using Portal.Core.Persistence;

namespace Portal.Bench.Dataset;

/// <summary>
/// Writes entities with PostgreSQL's binary COPY, the columns and value conversions (enums by name, JSON columns)
/// taken from the product's own EF model: seeding hundreds of thousands of rows in seconds, and rows exactly as the
/// product would have saved them, so a new column or converter cannot leave the dataset behind.
/// </summary>
public sealed class ModelCopy(PortalDbContext model)
{
    public async Task<int> CopyAsync<T>(NpgsqlConnection connection, IEnumerable<T> rows, CancellationToken ct) where T : class
    {
        var entity = model.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var columns = entity.GetProperties()
            .Where(p => !p.IsShadowProperty() && p.GetColumnName(table) is not null)
            .Select(p => (Name: p.GetColumnName(table)!, Get: p.GetGetter(), Convert: p.GetTypeMapping().Converter))
            .ToList();
        var sql = $"COPY \"{table.Name}\" ({string.Join(", ", columns.Select(c => $"\"{c.Name}\""))}) FROM STDIN (FORMAT BINARY)";
        var count = 0;
        await using var writer = await connection.BeginBinaryImportAsync(sql, ct);
        foreach (var row in rows)
        {
            await writer.StartRowAsync(ct);
            foreach (var column in columns)
            {
                var value = column.Get.GetClrValue(row);
                if (value is not null && column.Convert is not null) value = column.Convert.ConvertToProvider(value);
                await WriteAsync(writer, value, ct);
            }
            count++;
        }
        await writer.CompleteAsync(ct);
        return count;
    }

    private static Task WriteAsync(NpgsqlBinaryImporter writer, object? value, CancellationToken ct) => value switch
    {
        null => writer.WriteNullAsync(ct),
        string s => writer.WriteAsync(s, NpgsqlDbType.Text, ct),
        Guid g => writer.WriteAsync(g, NpgsqlDbType.Uuid, ct),
        long l => writer.WriteAsync(l, NpgsqlDbType.Bigint, ct),
        int i => writer.WriteAsync(i, NpgsqlDbType.Integer, ct),
        bool b => writer.WriteAsync(b, NpgsqlDbType.Boolean, ct),
        DateTimeOffset d => writer.WriteAsync(d.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct),
        byte[] bytes => writer.WriteAsync(bytes, NpgsqlDbType.Bytea, ct),
        double d => writer.WriteAsync(d, NpgsqlDbType.Double, ct),
        decimal m => writer.WriteAsync(m, NpgsqlDbType.Numeric, ct),
        _ => throw new NotSupportedException($"No COPY mapping for {value.GetType().Name}."),
    };
}
