using System.Diagnostics;

namespace Portal.Testing;

/// <summary>
/// The pinned npm packages the tests run (identity providers, axe-core: one folder per lockfile), installed with
/// <c>npm ci</c> on first use when scripts/test.sh has not already done it.
/// </summary>
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
            Process npm;
            try
            {
                npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund --loglevel=error")
                {
                    WorkingDirectory = folder,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                })!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException("npm was not found: these tests need Node.js (20 or later) and npm on PATH.", e);
            }
            using var _ = npm;
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
