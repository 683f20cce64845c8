using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Persistence;

public enum DatabaseProvider
{
    /// <summary>Embedded default: one file, nothing to install.</summary>
    Sqlite,
    /// <summary>Production: several portal processes share one server.</summary>
    Postgres,
}

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>SQLite file, relative to the working directory.</summary>
    [Required]
    public string SqlitePath { get; set; } = "./data/portal.db";

    /// <summary>Npgsql connection string, from <c>ConnectionStrings:Portal</c>. Required for PostgreSQL.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Apply pending migrations at start-up. Operators who migrate separately turn this off.</summary>
    public bool MigrateOnStartup { get; set; } = true;
}
