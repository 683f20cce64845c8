using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Portal.Core.Tests.Cloud.Support;

/// <summary>A fact that needs moto's server mode (an independent AWS emulator in the image's Python).</summary>
public sealed class MotoFactAttribute : FactAttribute
{
    public MotoFactAttribute()
    {
        if (Moto.Command() is null) Skip = "moto_server was not found (PATH, ~/.pyenv/shims, python3 -m moto.server)";
    }
}

/// <summary>moto_server on a free loopback port for one test class; killed (with its children) at the end.</summary>
public sealed class Moto : IAsyncLifetime
{
    private Process? _process;

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The executable and the arguments before <c>-H/-p</c>, or null when moto is not installed.</summary>
    public static (string File, string[] Args)? Command()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(home, ".pyenv", "shims"))
            .Select(dir => Path.Combine(dir, "moto_server"));
        if (candidates.FirstOrDefault(File.Exists) is { } server) return (server, []);
        return PythonHasMoto() ? ("python3", ["-m", "moto.server"]) : null;
    }

    private static bool PythonHasMoto()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("python3", ["-c", "import moto.server"]) { RedirectStandardError = true, RedirectStandardOutput = true });
            probe!.WaitForExit(10_000);
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public async Task InitializeAsync()
    {
        if (Command() is not { } command) return;
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo(command.File, [.. command.Args, "-H", "127.0.0.1", "-p", port.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("moto_server did not start");
        // Drain its request log so a full pipe never blocks the server.
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"moto_server exited with {_process.ExitCode}");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "moto-api/"));
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(200);
            }
        }
        throw new InvalidOperationException("moto_server did not answer within 30 seconds");
    }

    public async Task DisposeAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
