using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Portal.Emulator.Tests.Support;

/// <summary>A fact that needs moto (an independent AWS emulator, installed in the image's Python).</summary>
public sealed class MotoFactAttribute : FactAttribute
{
    public MotoFactAttribute()
    {
        if (MotoServer.Executable() is null) Skip = "moto_server is not on PATH (pip install 'moto[server]')";
    }
}

/// <summary>moto_server on a free loopback port for the life of a test class.</summary>
public sealed class MotoServer : IAsyncLifetime
{
    private Process? _process;

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public static string? Executable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, "moto_server")).FirstOrDefault(File.Exists);

    public async Task InitializeAsync()
    {
        if (Executable() is not { } executable) return;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }
        var start = new ProcessStartInfo(executable, ["-H", "127.0.0.1", "-p", BaseAddress.Port.ToString()])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 60; attempt++)
        {
            try
            {
                await http.GetAsync(new Uri(BaseAddress, "/moto-api/"));
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(250);
            }
            catch (TaskCanceledException)
            {
            }
        }
        throw new InvalidOperationException("moto_server did not start within 15 seconds");
    }

    public async Task DisposeAsync()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
