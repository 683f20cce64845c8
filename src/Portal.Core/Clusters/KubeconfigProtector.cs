using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace Portal.Core.Clusters;

/// <summary>
/// Encrypts attached clusters' kubeconfigs at rest with ASP.NET Core Data Protection. The purpose string isolates
/// them from every other protected payload (cookies, antiforgery): a key ring leak aside, a kubeconfig cannot be
/// unprotected as anything else, nor anything else as a kubeconfig.
/// </summary>
public sealed class KubeconfigProtector(IDataProtectionProvider provider)
{
    public const string Purpose = "Portal.Clusters.Kubeconfig";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public byte[] Protect(string kubeconfig) => _protector.Protect(Encoding.UTF8.GetBytes(kubeconfig));

    /// <summary>For the Kubernetes client factory of attached clusters; never for an API response.</summary>
    public string Unprotect(byte[] protectedKubeconfig) => Encoding.UTF8.GetString(_protector.Unprotect(protectedKubeconfig));
}
