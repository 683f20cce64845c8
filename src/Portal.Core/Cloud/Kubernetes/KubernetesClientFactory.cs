using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Authentication;
using Portal.Core.Cloud.Aws;

namespace Portal.Core.Cloud.Kubernetes;

/// <summary>
/// The one place Kubernetes clients come from: the official KubernetesClient, built from what DescribeCluster
/// returned (endpoint and CA) with EKS tokens minted from an AWS session. Nothing here reads ~/.kube/config, so the
/// process's own environment can never decide which cluster the portal talks to.
/// </summary>
public sealed class KubernetesClientFactory(EksTokenGenerator tokens)
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
    /// A client for an attached cluster, from the kubeconfig it was attached with (its current context). Only ever
    /// the stored kubeconfig handed in here, never a file of the process's environment.
    /// </summary>
    public IKubernetes CreateFromKubeconfig(string kubeconfig)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kubeconfig);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        return new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
    }

    private static k8s.Kubernetes Create(string endpoint, string certificateAuthorityBase64, ITokenProvider tokenProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        return new k8s.Kubernetes(new KubernetesClientConfiguration
        {
            Host = endpoint,
            SslCaCerts = CertificateAuthority(certificateAuthorityBase64),
            TokenProvider = tokenProvider,
        });
    }

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
