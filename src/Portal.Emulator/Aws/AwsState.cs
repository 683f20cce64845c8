using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Portal.Emulator.Aws.Eks;
using Portal.Emulator.Aws.Identity;

namespace Portal.Emulator.Aws;

/// <summary>
/// Everything the AWS half remembers: issued temporary credentials and EKS resources. One lock guards it all
/// (the emulator is small; correctness beats concurrency), and every change is written to the optional state file.
/// </summary>
public sealed class AwsState
{
    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly string? _file;

    public AwsState(EmulatorOptions options)
    {
        _file = string.IsNullOrWhiteSpace(options.StateFile) ? null : Path.GetFullPath(options.StateFile);
        if (_file is not null && File.Exists(_file))
        {
            var saved = JsonSerializer.Deserialize<Snapshot>(File.ReadAllText(_file), FileJson);
            if (saved is not null)
            {
                Credentials = saved.Credentials;
                Clusters = saved.Clusters;
                CertificateAuthorityPem = saved.CertificateAuthorityPem;
                KubernetesSnapshot = saved.Kubernetes;
            }
        }
    }

    public Lock Gate { get; } = new();

    public Dictionary<string, TemporaryCredential> Credentials { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>Clusters by <see cref="ClusterState.Key"/>.</summary>
    public Dictionary<string, ClusterState> Clusters { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>The emulator's certificate authority, kept so cluster CA data survives a restart with a state file.</summary>
    public string? CertificateAuthorityPem { get; set; }

    /// <summary>The Kubernetes half's objects (its store's export), saved alongside so clusters keep their contents.</summary>
    public JsonObject? KubernetesSnapshot { get; set; }

    public string? FilePath => _file;

    /// <summary>Call under <see cref="Gate"/> after a change.</summary>
    public void Changed()
    {
        if (_file is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var temp = _file + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new Snapshot(Credentials, Clusters, CertificateAuthorityPem, KubernetesSnapshot), FileJson));
        File.Move(temp, _file, overwrite: true);
    }

    public void Clear()
    {
        lock (Gate)
        {
            Credentials.Clear();
            Clusters.Clear();
            KubernetesSnapshot = null;
            Changed();
        }
    }

    private sealed record Snapshot(
        Dictionary<string, TemporaryCredential> Credentials,
        Dictionary<string, ClusterState> Clusters,
        string? CertificateAuthorityPem,
        JsonObject? Kubernetes);
}
