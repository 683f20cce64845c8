using System.Diagnostics;

namespace Portal.Reliability.Tests.Infrastructure;

/// <summary>
/// The portal with <c>Portal:Roles=worker</c> as a separate OS process (<c>dotnet Portal.Web.dll</c>, built next to the
/// tests), configured on the command line. <see cref="Kill"/> is SIGKILL: no shutdown hook, no finally block, no
/// Hangfire hand-back. Its output goes to a log file so a failing run can be read afterwards.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Completes once the worker's Hangfire server has announced itself: from then on it takes jobs.</summary>
    public Task Serving => _serving.Task;

    public static WorkerProcess Start(string name, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "Portal.Web.dll");
        if (!File.Exists(host)) throw new FileNotFoundException("Portal.Web.dll is not next to the tests; the project must reference src/Portal.Web.", host);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(host);
        foreach (var (key, value) in settings) start.ArgumentList.Add($"--{key}={value}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        // A worker must not pick up the developer's or CI's own portal settings from the environment.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Portal__", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);

        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"{name}.log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, e) => worker.Write(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        worker.Write($"--- started pid {process.Id} at {DateTimeOffset.UtcNow:O}");
        return worker;
    }

    private void Write(string? line)
    {
        if (line is null) return;
        // Hangfire's own line when the server joined the storage (its log category is on in the suites' settings).
        if (line.Contains("successfully announced", StringComparison.Ordinal)) _serving.TrySetResult();
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after the test let go of the worker.
            }
        }
    }

    /// <summary>SIGKILL to the process and anything it started; returns once it is gone.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        Write($"--- SIGKILL at {DateTimeOffset.UtcNow:O}");
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }
}
