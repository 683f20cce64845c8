using System.Globalization;
using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;
using Portal.Core.Clusters.Bootstrap;

namespace Portal.Core.Addons.Installations.Reconciler;

/// <summary>
/// The Argo CD objects of an add-on installation. Add-ons get their own AppProject, <see cref="Project"/>, rather
/// than the bootstrap's <c>platform</c> project: <c>platform</c> only admits the core components' repositories,
/// which is what keeps a typo in a core component from pulling another chart; add-ons admit exactly the catalogue's
/// repositories. Both projects are the portal's, applied with server-side apply.
/// </summary>
public static class AddonManifests
{
    public const string Project = "team-addons";
    public const string Finalizer = "resources-finalizer.argocd.argoproj.io";
    public const string TeamLabel = "unicron.io/team";
    public const string ClusterLabel = "unicron.io/cluster";
    public const string AddonLabel = "unicron.io/addon";

    /// <summary>The installation's generation the Application was rendered from: tells a user's new spec from drift.</summary>
    public const string GenerationAnnotation = "unicron.io/generation";

    /// <summary>The add-ons' project: the catalogue's source repositories, any namespace of this cluster, cluster-scoped kinds (charts bring CRDs).</summary>
    public static JsonObject AppProject(AddonCatalog catalog) => new()
    {
        ["apiVersion"] = BootstrapManifests.ApplicationApiVersion,
        ["kind"] = "AppProject",
        ["metadata"] = new JsonObject
        {
            ["name"] = Project,
            ["namespace"] = BootstrapManifests.ArgoNamespace,
            ["labels"] = new JsonObject { [BootstrapManifests.ManagedByLabel] = BootstrapManifests.ManagedBy },
        },
        ["spec"] = new JsonObject
        {
            ["description"] = "Catalogue add-ons teams install through the Unicron portal.",
            ["sourceRepos"] = new JsonArray(catalog.Entries.SelectMany(e => e.Versions).Select(v => v.Source.RepoUrl)
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(r => (JsonNode?)r).ToArray()),
            ["destinations"] = new JsonArray(new JsonObject { ["server"] = "https://kubernetes.default.svc", ["namespace"] = "*" }),
            ["clusterResourceWhitelist"] = new JsonArray(new JsonObject { ["group"] = "*", ["kind"] = "*" }),
        },
    };

    /// <summary>
    /// The Application of one installation: named after the add-on, source from the catalogue version, Helm values =
    /// the version's default values merged with the user's overrides (the chart's own defaults are Helm's business),
    /// automated sync with prune and self-heal, and the Argo CD finalizer so deleting it removes the workload.
    /// </summary>
    public static JsonObject Application(AddonInstallation installation, AddonVersion version, string teamSlug, string clusterName)
    {
        var source = new JsonObject { ["repoURL"] = version.Source.RepoUrl };
        if (version.Source.Helm is { } helm)
        {
            source["chart"] = helm.Chart;
            source["targetRevision"] = helm.Version;
            source["helm"] = new JsonObject
            {
                ["releaseName"] = installation.AddonId,
                ["valuesObject"] = AddonValues.ForInstall(version, installation.Values),
            };
        }
        else if (version.Source.Git is { } git)
        {
            source["path"] = git.Path;
            source["targetRevision"] = git.Revision;
        }
        return new JsonObject
        {
            ["apiVersion"] = BootstrapManifests.ApplicationApiVersion,
            ["kind"] = "Application",
            ["metadata"] = new JsonObject
            {
                ["name"] = installation.AddonId,
                ["namespace"] = BootstrapManifests.ArgoNamespace,
                ["labels"] = new JsonObject
                {
                    [BootstrapManifests.ManagedByLabel] = BootstrapManifests.ManagedBy,
                    [TeamLabel] = teamSlug,
                    [ClusterLabel] = clusterName,
                    [AddonLabel] = installation.AddonId,
                },
                ["annotations"] = new JsonObject { [GenerationAnnotation] = installation.Generation.ToString(CultureInfo.InvariantCulture) },
                ["finalizers"] = new JsonArray(Finalizer),
            },
            ["spec"] = new JsonObject
            {
                ["project"] = Project,
                ["source"] = source,
                ["destination"] = new JsonObject { ["server"] = "https://kubernetes.default.svc", ["namespace"] = version.Namespace },
                ["syncPolicy"] = new JsonObject
                {
                    ["automated"] = new JsonObject { ["prune"] = true, ["selfHeal"] = true },
                    ["syncOptions"] = new JsonArray("CreateNamespace=true"),
                },
            },
        };
    }

    /// <summary>The generation the Application in the cluster was rendered from, or null when the annotation is gone.</summary>
    public static long? RenderedGeneration(JsonObject application) =>
        long.TryParse((string?)application["metadata"]?["annotations"]?[GenerationAnnotation], NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : null;

    /// <summary>Whether the cluster's Application still says what the portal wrote: every spec field, label, and the finalizer.</summary>
    public static bool Matches(JsonObject current, JsonObject wanted)
    {
        foreach (var (key, value) in wanted["spec"]!.AsObject())
            if (!JsonNode.DeepEquals(current["spec"]?[key], value)) return false;
        foreach (var (key, value) in wanted["metadata"]!["labels"]!.AsObject())
            if (!JsonNode.DeepEquals(current["metadata"]?["labels"]?[key], value)) return false;
        return current["metadata"]?["finalizers"] is JsonArray finalizers && finalizers.Any(f => (string?)f == Finalizer);
    }
}
