namespace Portal.Emulator.Shared;

/// <summary>What the Kubernetes half needs to know about an emulated EKS cluster.</summary>
/// <param name="Key">URL-safe key of the cluster's Kubernetes API: it is served at <c>{emulator}/k8s/{Key}</c>.</param>
/// <param name="Status">The EKS status (CREATING, ACTIVE, UPDATING, DELETING, FAILED).</param>
public sealed record EmulatedCluster(string Key, string AccountId, string Region, string Name, string Arn, string Status, string KubernetesVersion);

/// <summary>The caller an EKS bearer token proves, as STS GetCallerIdentity would name it.</summary>
public sealed record CallerIdentity(string AccountId, string Arn, string UserId);

/// <summary>
/// The seam between the AWS half (which owns clusters, accounts and credentials) and the Kubernetes half
/// (which serves one API per cluster). The AWS half implements it.
/// </summary>
public interface IClusterDirectory
{
    /// <summary>The cluster whose Kubernetes API is served under this key, or null.</summary>
    EmulatedCluster? FindByKey(string key);

    /// <summary>
    /// Verifies an EKS token (<c>k8s-aws-v1.</c> + base64url of a presigned STS GetCallerIdentity URL):
    /// the SigV4 presignature recomputed with the emulator's credentials, the signed <c>x-k8s-aws-id</c>
    /// header naming <paramref name="clusterName"/>, and expiry. Returns the caller, or the reason it was refused.
    /// </summary>
    (CallerIdentity? Caller, string? Error) VerifyEksToken(string token, string clusterName);
}
