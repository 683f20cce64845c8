namespace Portal.Testing;

/// <summary>
/// A private PostgreSQL server (<see cref="PostgresServer.StartPrivateServerAsync"/>) that a test may stop and start
/// again on the same port and data, as an operator's restart or a crash would.
/// </summary>
public sealed class PostgresInstance : IAsyncDisposable
{
    private readonly bool _asPostgres;
    private bool _disposed;

    internal PostgresInstance(string binDirectory, string directory, int port, bool asPostgres)
    {
        BinDirectory = binDirectory;
        Root = directory;
        Port = port;
        _asPostgres = asPostgres;
    }

    internal string BinDirectory { get; }

    private string Root { get; }

    internal string DataDirectory => Path.Combine(Root, "data");

    public int Port { get; }

    /// <summary>The <c>postgres</c> database as the superuser, to create the test's own databases.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Include Error Detail=true";

    public bool IsRunning { get; private set; }

    /// <remarks>
    /// Unlike the shared test server, this one keeps <c>synchronous_commit</c> on: it is crashed on purpose, and with it
    /// off PostgreSQL acknowledges a commit before its WAL leaves shared memory, so a crash right after a request
    /// silently undoes rows the portal was told were saved (a production server never does that). <c>fsync=off</c> and
    /// <c>full_page_writes=off</c> stay: they only matter when the operating system crashes, and here only PostgreSQL does.
    /// </remarks>
    public async Task StartAsync(CancellationToken ct = default)
    {
        await PostgresServer.RunPostgresToolAsync(Path.Combine(BinDirectory, "pg_ctl"),
            ["-D", DataDirectory, "-l", Path.Combine(Root, "log"), "-w", "-t", "60",
             "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {Root} -c fsync=off -c synchronous_commit=on -c full_page_writes=off -c max_connections=300",
             "start"], _asPostgres, ct);
        IsRunning = true;
    }

    /// <summary>Stops at once, as a crash would (<c>pg_ctl -m immediate</c>): open connections break, the next start recovers.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        IsRunning = false;
        await PostgresServer.RunPostgresToolAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], _asPostgres, ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (IsRunning) await StopAsync();
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception)
        {
            // Best effort: a leftover temp folder must not fail the test run.
        }
    }
}
