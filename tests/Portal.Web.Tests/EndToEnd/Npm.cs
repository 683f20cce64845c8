using System.Diagnostics;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>The pinned npm packages of the end-to-end tests (one folder per lockfile), installed on first use.</summary>
public static class Npm
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Runs <c>npm ci</c> in <paramref name="folder"/> unless scripts/test.sh (or an earlier test) already did.</summary>
    public static async Task EnsureInstalledAsync(string folder, CancellationToken ct = default)
    {
        await Gate.WaitAsync(ct);
        try
        {
            if (Directory.Exists(Path.Combine(folder, "node_modules"))) return;
            using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund --loglevel=error")
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }) ?? throw new InvalidOperationException("npm did not start: is Node.js installed?");
            var stderr = npm.StandardError.ReadToEndAsync(ct);
            await npm.StandardOutput.ReadToEndAsync(ct);
            await npm.WaitForExitAsync(ct);
            if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci in {folder} failed: {await stderr}");
        }
        finally
        {
            Gate.Release();
        }
    }
}
