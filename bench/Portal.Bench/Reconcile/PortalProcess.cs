using System.Diagnostics;

namespace Portal.Bench.Reconcile;

/// <summary>
/// The real portal (Portal.Web.dll, built beside the benchmarks) as its own OS process with the given role and
/// settings, as an operator runs it. Output goes to a log file so a busy process never blocks on a full pipe.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;

    private PortalProcess(Process process, string name, string logPath)
    {
        _process = process;
        Name = name;
        LogPath = logPath;
    }

    public string Name { get; }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public static PortalProcess Start(string name, IReadOnlyDictionary<string, string> settings)
    {
        var logPath = Path.Combine(Path.GetTempPath(), $"portal-bench-{name}-{Environment.ProcessId}.log");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Portal.Web.dll"));
        // Staging: no development sign-in, no Production-only start-up requirements; the same code path otherwise.
        start.Environment["DOTNET_ENVIRONMENT"] = "Staging";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Staging";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var gate = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) log.WriteLine(e.Data); };
        process.Exited += (_, _) => { lock (gate) log.Flush(); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PortalProcess(process, name, logPath);
    }

    /// <summary>The last lines of its log, for an error message when it died or never came up.</summary>
    public string Tail(int lines = 30)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>SIGTERM-like stop: the host's graceful shutdown, then a kill if it takes too long.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                // .NET has no portable SIGTERM; kill(1) is what an orchestrator sends.
                using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await term.WaitForExitAsync();
                using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(40));
                await _process.WaitForExitAsync(patience.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
