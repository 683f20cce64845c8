using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Core.Persistence;

namespace Portal.Testing;

/// <summary>
/// A real PostgreSQL for tests: the server named by <c>PORTAL_TEST_POSTGRES</c> (an Npgsql connection string to a
/// database whose user may create databases), or else a throwaway server started from the binaries on this machine,
/// as the <c>postgres</c> user, on a free loopback port, stopped when the test process exits.
/// Each test class gets its own database, cloned from a template migrated once with the real migrations.
/// </summary>
public static class PostgresServer
{
    public const string EnvironmentVariable = "PORTAL_TEST_POSTGRES";
    /// <summary>
    /// One template per test process: test projects run in parallel against one server (scripts/test.sh starts one),
    /// and a shared name made their drop-and-create race.
    /// </summary>
    private static readonly string TemplateDatabase = $"portal_template_{Environment.ProcessId}";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _adminConnectionString;
    private static bool _templateReady;
    private static int _counter;

    /// <summary>A new, empty-but-migrated database; returns its connection string.</summary>
    public static async Task<string> CreateMigratedDatabaseAsync(CancellationToken ct = default)
    {
        var admin = await EnsureTemplateAsync(ct);
        var name = $"portal_test_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\" TEMPLATE {TemplateDatabase}", ct);
        return WithDatabase(admin, name);
    }

    /// <summary>A new database with no tables at all, to test migrations themselves.</summary>
    public static async Task<string> CreateEmptyDatabaseAsync(CancellationToken ct = default)
    {
        var admin = await EnsureServerAsync(ct);
        var name = $"portal_empty_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"", ct);
        return WithDatabase(admin, name);
    }

    public static DatabaseOptions Options(string connectionString) =>
        new() { Provider = DatabaseProvider.Postgres, ConnectionString = connectionString };

    private static async Task<string> EnsureTemplateAsync(CancellationToken ct)
    {
        var admin = await EnsureServerAsync(ct);
        if (_templateReady) return admin;
        await Gate.WaitAsync(ct);
        try
        {
            if (_templateReady) return admin;
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {TemplateDatabase} WITH (FORCE)", ct);
            await ExecuteAsync(admin, $"CREATE DATABASE {TemplateDatabase}", ct);
            var template = WithDatabase(admin, TemplateDatabase);
            await using (var db = CreateContext(template))
                await db.Database.MigrateAsync(ct);
            // Templates must have no open connections when cloned.
            NpgsqlConnection.ClearAllPools();
            _templateReady = true;
            return admin;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static PortalDbContext CreateContext(string connectionString)
    {
        return new PortalDbContext(PersistenceServiceCollectionExtensions.BuildOptions(Options(connectionString)));
    }

    private static async Task<string> EnsureServerAsync(CancellationToken ct)
    {
        if (_adminConnectionString is not null) return _adminConnectionString;
        await Gate.WaitAsync(ct);
        try
        {
            _adminConnectionString ??= Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } given
                ? given
                : await StartThrowawayServerAsync(ct);
            return _adminConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string WithDatabase(string connectionString, string database) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = database, Pooling = true, MaxPoolSize = 20 }.ConnectionString;

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>initdb + pg_ctl start in a temp folder owned by postgres (PostgreSQL refuses to run as root).</summary>
    private static async Task<string> StartThrowawayServerAsync(CancellationToken ct)
    {
        var bin = FindBinDirectory();
        var dir = Path.Combine(Path.GetTempPath(), $"portal-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", ["postgres:postgres", dir], asPostgres: false, ct);
        var port = FreePort();
        var data = Path.Combine(dir, "data");
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"], asRoot, ct);
        await RunAsync(Path.Combine(bin, "pg_ctl"),
            ["-D", data, "-l", Path.Combine(dir, "log"), "-w", "-t", "60",
             "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
             "start"], asRoot, ct);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], asRoot, CancellationToken.None).GetAwaiter().GetResult();
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception)
            {
                // Best effort: a leftover temp folder must not fail the test run.
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Include Error Detail=true";
    }

    /// <summary>
    /// A server of the caller's own that it may stop and start (the reliability suites restart PostgreSQL under load),
    /// never the shared one named by <c>PORTAL_TEST_POSTGRES</c>. Stopped and deleted on dispose, or at process exit.
    /// </summary>
    public static async Task<PostgresInstance> StartPrivateServerAsync(CancellationToken ct = default)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"portal-pgp-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", ["postgres:postgres", dir], asPostgres: false, ct);
        var instance = new PostgresInstance(FindBinDirectory(), dir, FreePort(), asRoot);
        await RunAsync(Path.Combine(instance.BinDirectory, "initdb"), ["-D", instance.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"], asRoot, ct);
        await instance.StartAsync(ct);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => instance.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return instance;
    }

    internal static Task RunPostgresToolAsync(string file, string[] args, bool asPostgres, CancellationToken ct) => RunAsync(file, args, asPostgres, ct);

    private static string FindBinDirectory()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .FirstOrDefault(p => File.Exists(Path.Combine(p, "initdb")) && File.Exists(Path.Combine(p, "pg_ctl")));
        if (onPath is not null) return onPath;
        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(Directory.Exists).OrderDescending().FirstOrDefault()
            : null;
        return installed ?? throw new InvalidOperationException(
            $"PostgreSQL binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql. Install PostgreSQL or set {EnvironmentVariable}.");
    }

    private static async Task RunAsync(string file, string[] args, bool asPostgres, CancellationToken ct)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres) foreach (var a in new[] { "-u", "postgres", "--", file }) start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

}
