using Npgsql;

namespace Portal.Api.Tests.Security;

/// <summary>
/// Row count and a checksum of every row of every portal table (Hangfire's schema aside: its queue is the recording
/// job client's business), so "the database is unchanged" is checked, not assumed. Cheap on a test database: the
/// query hashes each row's JSON and the sorted hashes per table. A token's LastUsedAt is left out: authentication
/// bookkeeping (at most once a minute) that any authenticated call may write, accepted or not.
/// </summary>
public sealed class DatabaseFingerprint(string connectionString)
{
    private string? _query;

    public async Task<IReadOnlyDictionary<string, string>> TakeAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        _query ??= await BuildQueryAsync(connection);
        var tables = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(_query, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tables[reader.GetString(0)] = $"{reader.GetInt64(1)} rows, {reader.GetString(2)}";
        return tables;
    }

    /// <summary>The tables whose rows differ between two fingerprints.</summary>
    public static IReadOnlyList<string> Changed(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after) =>
        [.. before.Keys.Union(after.Keys).Where(t => before.GetValueOrDefault(t) != after.GetValueOrDefault(t))
            .Select(t => $"{t}: {before.GetValueOrDefault(t) ?? "absent"} → {after.GetValueOrDefault(t) ?? "absent"}")];

    private static async Task<string> BuildQueryAsync(NpgsqlConnection connection)
    {
        const string sql = """
            SELECT string_agg(format(
                'SELECT %L, count(*), md5(coalesce(string_agg(md5((to_jsonb(x) - ''LastUsedAt'')::text), '''' ORDER BY md5((to_jsonb(x) - ''LastUsedAt'')::text)), '''')) FROM %I.%I x',
                table_schema || '.' || table_name, table_schema, table_name), ' UNION ALL ')
            FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema', 'hangfire')
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
