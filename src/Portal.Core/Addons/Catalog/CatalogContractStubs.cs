// TEMPORARY: the signatures of the catalogue library, so the installation resource and the UI can be written while
// the catalogue is being built on branch addons-catalog. That branch deletes this file and implements each type in
// its own file. Nothing here may ship.
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Environments;

namespace Portal.Core.Addons.Catalog;

public sealed class AddonCatalogException(string message) : Exception(message);

public sealed class AddonCatalog
{
    public AddonCatalog(IEnumerable<AddonEntry> entries) => Entries = [.. entries.OrderBy(e => e.Name)];
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "catalog");
    public IReadOnlyList<AddonEntry> Entries { get; }
    public AddonEntry? Find(string id) => Entries.FirstOrDefault(e => e.Id == id);
    public static AddonCatalog Load(string directory) => throw new NotImplementedException(directory);
}

public static class MaturityPolicy
{
    public static bool Allows(Maturity maturity, EnvironmentName environment) => throw new NotImplementedException();
    public static string? Refusal(Maturity maturity, EnvironmentName environment) => throw new NotImplementedException();
}

public static class AddonEligibility
{
    public static Eligibility Check(AddonCatalog catalog, AddonEntry entry, AddonVersion version, ClusterFacts facts) => throw new NotImplementedException();
}

public sealed record AddonPlanStep(AddonEntry Entry, AddonVersion Version);
public sealed record DependencyPlan(IReadOnlyList<AddonPlanStep> InstallFirst, IReadOnlyList<string> Refusals);

public static class AddonDependencies
{
    public static DependencyPlan Plan(AddonCatalog catalog, AddonEntry entry, AddonVersion version, ClusterFacts facts) => throw new NotImplementedException();
    public static IReadOnlyList<string> RequiredBy(AddonCatalog catalog, string addonId, IReadOnlyDictionary<string, string> installed) => throw new NotImplementedException();
}

public static class VersionRange
{
    public static bool Satisfies(string range, string version) => throw new NotImplementedException();
    public static bool IsValid(string range) => throw new NotImplementedException();
}

public static class AddonValues
{
    public static JsonObject Merge(JsonObject? baseValues, JsonObject overrides) => throw new NotImplementedException();
    public static IReadOnlyList<ValuesProblem> Validate(AddonVersion version, JsonObject overrides) => throw new NotImplementedException();
}

public static class AddonCatalogServiceCollectionExtensions
{
    public static IServiceCollection AddPortalAddonCatalog(this IServiceCollection services) => services;
}
