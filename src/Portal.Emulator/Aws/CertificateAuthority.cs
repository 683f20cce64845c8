using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Portal.Emulator.Aws;

/// <summary>
/// The emulator's self-signed cluster certificate authority: DescribeCluster returns it as
/// <c>certificateAuthority.data</c> (base64 of the PEM, as EKS does). One CA per emulator, kept in the state file, so
/// kubeconfigs written from DescribeCluster keep working after a restart. It also issues the HTTPS listener's
/// certificate, which is how kubectl and KubernetesClient verify the Kubernetes endpoints with that CA data alone.
/// </summary>
public sealed class CertificateAuthority
{
    private readonly Lazy<X509Certificate2> _serverCertificate;

    public CertificateAuthority(AwsState state)
    {
        lock (state.Gate)
        {
            if (state.CertificateAuthorityPem is null)
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var request = new CertificateRequest("CN=kubernetes (Unicron emulator)", key, HashAlgorithmName.SHA256);
                request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
                request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
                state.CertificateAuthorityPem = certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem();
                state.Changed();
            }
            CombinedPem = state.CertificateAuthorityPem;
        }
        CertificatePem = CombinedPem[..(CombinedPem.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal) + "-----END CERTIFICATE-----".Length)] + "\n";
        PemBase64 = Convert.ToBase64String(Encoding.ASCII.GetBytes(CertificatePem));
        _serverCertificate = new(IssueServerCertificate);
    }

    /// <summary>The CA certificate in PEM.</summary>
    public string CertificatePem { get; }

    /// <summary>What EKS puts in <c>certificateAuthority.data</c>.</summary>
    public string PemBase64 { get; }

    /// <summary>Certificate and private key PEM, for a half that wants to serve TLS signed by this CA.</summary>
    public string CombinedPem { get; }

    public X509Certificate2 CreateCertificateWithKey() => X509Certificate2.CreateFromPem(CombinedPem, CombinedPem);

    /// <summary>
    /// The HTTPS listener's certificate: issued by this CA for the loopback names (<c>127.0.0.1</c>, <c>localhost</c>,
    /// <c>::1</c>), with the private key. Issued once per process; only the CA needs to outlive a restart.
    /// </summary>
    public X509Certificate2 ServerCertificate => _serverCertificate.Value;

    private X509Certificate2 IssueServerCertificate()
    {
        using var issuer = CreateCertificateWithKey();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kube-apiserver (Unicron emulator)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        // Go's TLS stack (kubectl) and .NET's both ignore the CN: the names must be subject alternative names.
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        // A leaf may not outlive its issuer nor start before it (CertificateRequest.Create refuses both).
        var now = DateTimeOffset.UtcNow;
        var notBefore = Max(now.AddDays(-1), issuer.NotBefore.ToUniversalTime());
        var notAfter = Min(now.AddYears(1), issuer.NotAfter.ToUniversalTime());
        // A positive serial without a leading zero byte: Go (kubectl) refuses negative serial numbers.
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        using var issued = request.Create(issuer, notBefore, notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so the key is a persisted one, which SslStream wants on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
