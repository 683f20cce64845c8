using System.Text.Json.Nodes;

namespace Portal.Emulator.Kubernetes.Specs;

/// <summary>
/// The schema an object of a resource type is validated against. Built-in types point into their OpenAPI v3
/// document (which resolves <c>$ref</c>s); a custom resource's schema is its CRD's structural
/// <c>openAPIV3Schema</c>, where kube-apiserver prunes fields the schema does not declare.
/// </summary>
public sealed record SchemaRoot(JsonObject Schema, JsonObject? Components, bool Structural)
{
    public JsonObject? Resolve(string reference)
    {
        const string prefix = "#/components/schemas/";
        if (Components is null || !reference.StartsWith(prefix, StringComparison.Ordinal)) return null;
        return Components[reference[prefix.Length..]] as JsonObject;
    }
}

/// <summary>One served resource of one group version, built from the OpenAPI documents or from a CRD.</summary>
public sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Singular,
    string Kind,
    bool Namespaced,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    bool HasStatus,
    bool HasScale,
    bool IsCustom,
    bool DeleteReturnsObject,
    SchemaRoot Schema,
    JsonArray? PrinterColumns = null)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The storage key: versions of one group and resource share their objects.</summary>
    public string StorageKey => $"{Group}/{Plural}";

    public string ListKind => $"{Kind}List";

    /// <summary>Whether writes bump <c>metadata.generation</c>: kube does so for types with a spec/status split.</summary>
    public bool TracksGeneration => HasStatus || IsCustom || Kind is "Namespace" or "PodDisruptionBudget";
}
