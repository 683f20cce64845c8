using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Portal.Emulator.Aws;

/// <summary>
/// The emulator's self-signed cluster certificate authority: DescribeCluster returns it as
/// <c>certificateAuthority.data</c> (base64 of the PEM, as EKS does). One CA per emulator, kept in the state file.
/// </summary>
public sealed class CertificateAuthority
{
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
    }

    /// <summary>The CA certificate in PEM.</summary>
    public string CertificatePem { get; }

    /// <summary>What EKS puts in <c>certificateAuthority.data</c>.</summary>
    public string PemBase64 { get; }

    /// <summary>Certificate and private key PEM, for a half that wants to serve TLS signed by this CA.</summary>
    public string CombinedPem { get; }

    public X509Certificate2 CreateCertificateWithKey() => X509Certificate2.CreateFromPem(CombinedPem, CombinedPem);
}
