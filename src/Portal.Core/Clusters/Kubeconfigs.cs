using Portal.Core.Common;
using Portal.Core.Cloud.Kubernetes;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Portal.Core.Clusters;

/// <summary>What the portal reads from an attached cluster's kubeconfig: where its API server is and whom to trust.</summary>
public sealed record KubeconfigSummary(string Server, string? CertificateAuthorityData);

/// <summary>Reading attached kubeconfigs and writing the ones users download.</summary>
public static class Kubeconfigs
{
    public const string ExecApiVersion = "client.authentication.k8s.io/v1beta1";

    /// <summary>
    /// Checks a kubeconfig enough to be useful later: YAML, and its current context (or its only cluster) names a
    /// cluster with an https server. Credentials are not inspected here; they are encrypted as they are.
    /// </summary>
    public static KubeconfigSummary? Read(ValidationErrors errors, string field, string? text, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(text)) { errors.Add(field, "is required: paste the cluster's kubeconfig."); return null; }
        if (text.Length > maxLength) { errors.Add(field, $"must be at most {maxLength / 1024} KiB."); return null; }
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
            {
                errors.Add(field, "must be one kubeconfig YAML document.");
                return null;
            }
            root = mapping;
        }
        catch (YamlDotNet.Core.YamlException)
        {
            errors.Add(field, "is not valid YAML.");
            return null;
        }

        if (KubernetesClientFactory.UnsafeCredentials(root) is { } unsafeCredentials)
        {
            errors.Add(field, unsafeCredentials);
            return null;
        }

        var clusters = Sequence(root, "clusters");
        if (clusters.Count == 0) { errors.Add(field, "names no cluster (the 'clusters' list is empty)."); return null; }
        var clusterName = clusters.Count == 1 ? Scalar(clusters[0], "name") : CurrentContextCluster(root);
        var entry = clusters.FirstOrDefault(c => Scalar(c, "name") == clusterName) ?? (clusters.Count == 1 ? clusters[0] : null);
        if (entry is null || Child(entry, "cluster") is not YamlMappingNode cluster)
        {
            errors.Add(field, "has several clusters and no current-context choosing one.");
            return null;
        }
        var server = Scalar(cluster, "server");
        if (server is null || !Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add(field, "must give the cluster's API server as an https:// URL (clusters[].cluster.server).");
            return null;
        }
        if (Scalar(cluster, "insecure-skip-tls-verify") == "true")
        {
            errors.Add(field, "must not skip TLS verification: include the cluster's certificate-authority-data instead.");
            return null;
        }
        return new KubeconfigSummary(server, Scalar(cluster, "certificate-authority-data"));
    }

    /// <summary>
    /// A kubeconfig for an EKS cluster whose credentials come from the user's own AWS CLI
    /// (<c>aws eks get-token</c>), as <c>aws eks update-kubeconfig</c> writes it. It contains no secret.
    /// </summary>
    public static string ForEks(Cluster cluster, string region, string? roleArn)
    {
        var name = cluster.EksArn ?? $"{cluster.EksName}.{region}.eks";
        var args = new List<string> { "--region", region, "eks", "get-token", "--cluster-name", cluster.EksName, "--output", "json" };
        if (!string.IsNullOrEmpty(roleArn)) args.AddRange(["--role-arn", roleArn]);
        var config = new Dictionary<string, object>
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Config",
            ["clusters"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = name,
                    ["cluster"] = new Dictionary<string, object>
                    {
                        ["server"] = cluster.KubernetesEndpoint!,
                        ["certificate-authority-data"] = cluster.CertificateAuthority!,
                    },
                },
            },
            ["contexts"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = name,
                    ["context"] = new Dictionary<string, object> { ["cluster"] = name, ["user"] = name },
                },
            },
            ["current-context"] = name,
            ["preferences"] = new Dictionary<string, object>(),
            ["users"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = name,
                    ["user"] = new Dictionary<string, object>
                    {
                        ["exec"] = new Dictionary<string, object>
                        {
                            ["apiVersion"] = ExecApiVersion,
                            ["command"] = "aws",
                            ["args"] = args,
                            ["interactiveMode"] = "IfAvailable",
                            ["provideClusterInfo"] = false,
                        },
                    },
                },
            },
        };
        return new SerializerBuilder().Build().Serialize(config);
    }

    private static string? CurrentContextCluster(YamlMappingNode root)
    {
        var current = Scalar(root, "current-context");
        var context = Sequence(root, "contexts").FirstOrDefault(c => Scalar(c, "name") == current);
        return context is not null && Child(context, "context") is YamlMappingNode c ? Scalar(c, "cluster") : null;
    }

    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private static List<YamlNode> Sequence(YamlNode node, string key) =>
        Child(node, key) is YamlSequenceNode seq ? seq.Children.ToList() : [];
}
