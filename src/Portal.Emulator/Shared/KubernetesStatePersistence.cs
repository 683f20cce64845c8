using Portal.Emulator.Aws;
using Portal.Emulator.Kubernetes;

namespace Portal.Emulator.Shared;

/// <summary>
/// Keeps the Kubernetes half's objects in the state file: loaded before the host listens, saved when they change
/// (checked every <see cref="Interval"/>, since the store raises no change event for the host) and at shutdown.
/// </summary>
public sealed class KubernetesStatePersistence(IServiceProvider services, AwsState state, ILogger<KubernetesStatePersistence> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private string _savedFingerprint = "";

    /// <summary>Loads the saved objects; call before the host starts answering.</summary>
    public void Load()
    {
        if (state.KubernetesSnapshot is { } snapshot) KubernetesApi.Store(services).Import(snapshot);
        _savedFingerprint = Fingerprint();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Save();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Save();
    }

    private void Save()
    {
        try
        {
            var fingerprint = Fingerprint();
            if (fingerprint == _savedFingerprint) return;
            var snapshot = KubernetesApi.Store(services).Export();
            lock (state.Gate)
            {
                state.KubernetesSnapshot = snapshot;
                state.Changed();
            }
            _savedFingerprint = fingerprint;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            logger.LogWarning(e, "Could not save the Kubernetes objects to the state file {File}", state.FilePath);
        }
    }

    private string Fingerprint() =>
        string.Join(',', KubernetesApi.Store(services).Clusters.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}:{c.ResourceVersion}"));
}
