using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Authentication;
using Microsoft.Extensions.Options;
using Portal.Core.Cloud.Aws;
using YamlDotNet.RepresentationModel;

namespace Portal.Core.Cloud.Kubernetes;

/// <summary>
/// The one place Kubernetes clients come from: the official KubernetesClient, built from what DescribeCluster
/// returned (endpoint and CA) with EKS tokens minted from an AWS session. Nothing here reads ~/.kube/config, so the
/// process's own environment can never decide which cluster the portal talks to.
/// </summary>
public sealed class KubernetesClientFactory(EksTokenGenerator tokens, IOptions<CloudOptions> options, TimeProvider clock)
{
    /// <param name="session">The session in the cluster's account; tokens are minted from it as they age.</param>
    /// <param name="endpoint">DescribeCluster's <c>endpoint</c> (https).</param>
    /// <param name="certificateAuthorityBase64">DescribeCluster's <c>certificateAuthority.data</c>: a base64-encoded PEM, the only CA trusted.</param>
    public IKubernetes Create(AwsSession session, string clusterName, string endpoint, string certificateAuthorityBase64) =>
        Create(endpoint, certificateAuthorityBase64, new EksTokenProvider(tokens, _ => Task.FromResult(session), clusterName));

    /// <summary>
    /// As <see cref="Create(AwsSession,string,string,string)"/>, but asks <paramref name="session"/> for the session on
    /// every token request (e.g. <c>ct => sessions.AssumeAsync(...)</c>, which answers from its cache), so a long-lived
    /// client keeps working after the assumed-role credentials rotate.
    /// </summary>
    public IKubernetes Create(Func<CancellationToken, Task<AwsSession>> session, string clusterName, string endpoint, string certificateAuthorityBase64) =>
        Create(endpoint, certificateAuthorityBase64, new EksTokenProvider(tokens, session, clusterName));

    /// <summary>
    /// A client for an attached cluster, from the kubeconfig it was attached with (its current context). Only inline
    /// credentials are accepted (token, basic auth, client certificate data): an <c>exec</c> plugin, an auth provider or
    /// a file path would make the portal's workers run a command or read a file a team chose, so they are refused with
    /// <see cref="UnsupportedKubeconfigException"/>.
    /// </summary>
    public IKubernetes CreateFromKubeconfig(string kubeconfig)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kubeconfig);
        // Checked on the YAML itself, every user and cluster, before the client library sees it: it runs exec plugins
        // while it builds its configuration.
        var stream = new YamlStream();
        stream.Load(new StringReader(kubeconfig));
        var root = stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode
                   ?? throw new UnsupportedKubeconfigException("The attached kubeconfig is not a YAML mapping.");
        if (UnsafeCredentials(root) is { } problem) throw new UnsupportedKubeconfigException(problem);
        using var bytes = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        var config = KubernetesClientConfiguration.LoadKubeConfig(bytes);
        var contextName = config.CurrentContext ?? config.Contexts?.FirstOrDefault()?.Name;
        return new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigObject(config, contextName), Retries());
    }

    /// <summary>
    /// Why a kubeconfig must not be used by the portal's workers, or null when it carries only inline credentials.
    /// Attaching checks this too, so such a kubeconfig is refused with a 400 instead of being stored.
    /// </summary>
    public static string? UnsafeCredentials(YamlMappingNode root)
    {
        foreach (var user in Entries(root, "users", "user"))
        {
            // "<<" is a YAML merge key: the client library's parser may expand it into an exec block this check never saw.
            if (user.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value).FirstOrDefault(k => k is "exec" or "auth-provider" or "client-certificate" or "client-key" or "tokenFile" or "<<") is { } key)
                return $"The kubeconfig's user authenticates with '{key}'; the portal only uses inline credentials (a service-account token, or " +
                       "client-certificate-data and client-key-data), never an exec plugin, an auth provider or a file. Attach the cluster again with such a kubeconfig.";
        }
        if (Entries(root, "clusters", "cluster").Any(c => c.Children.ContainsKey(new YamlScalarNode("certificate-authority"))))
            return "The kubeconfig names its CA by file path; attach the cluster again with certificate-authority-data.";
        return null;
    }

    private static IEnumerable<YamlMappingNode> Entries(YamlMappingNode root, string list, string inner) =>
        root.Children.TryGetValue(new YamlScalarNode(list), out var node) && node is YamlSequenceNode sequence
            ? sequence.Children.OfType<YamlMappingNode>()
                .Select(e => e.Children.TryGetValue(new YamlScalarNode(inner), out var value) ? value as YamlMappingNode : null)
                .OfType<YamlMappingNode>()
            : [];

    private k8s.Kubernetes Create(string endpoint, string certificateAuthorityBase64, ITokenProvider tokenProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        return new k8s.Kubernetes(new KubernetesClientConfiguration
        {
            Host = endpoint,
            SslCaCerts = CertificateAuthority(certificateAuthorityBase64),
            TokenProvider = tokenProvider,
        }, Retries());
    }

    private KubernetesRetryHandler Retries() => new(options.Value, clock);

    /// <summary>The CA certificates in DescribeCluster's <c>certificateAuthority.data</c> (base64 of a PEM bundle).</summary>
    public static X509Certificate2Collection CertificateAuthority(string certificateAuthorityBase64)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificateAuthorityBase64);
        var pem = Encoding.ASCII.GetString(Convert.FromBase64String(certificateAuthorityBase64));
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(pem);
        if (certificates.Count == 0) throw new ArgumentException("The certificate authority data holds no PEM certificate.", nameof(certificateAuthorityBase64));
        return certificates;
    }

    /// <summary>KubernetesClient asks for the header before every request; the generator reuses a token until it is due for renewal.</summary>
    private sealed class EksTokenProvider(EksTokenGenerator tokens, Func<CancellationToken, Task<AwsSession>> session, string clusterName) : ITokenProvider
    {
        public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
            new("Bearer", tokens.CreateToken(await session(cancellationToken), clusterName));
    }
}

/// <summary>A stored kubeconfig asks for something the portal will not do on a team's behalf (run a command, read a file).</summary>
public sealed class UnsupportedKubeconfigException(string message) : Exception(message);
