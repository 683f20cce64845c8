namespace Portal.Core.Addons.Catalog;

/// <summary>A catalogue file or the catalogue as a whole is wrong; the message names the file and the field.</summary>
public sealed class AddonCatalogException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The add-on catalogue: one entry per <c>catalog/&lt;id&gt;.yaml</c> file, loaded and checked once at start-up, then
/// immutable (a singleton shared by the API, the UI and the workers).
/// </summary>
public sealed class AddonCatalog
{
    private readonly Dictionary<string, AddonEntry> byId;

    /// <summary>Checks that ids are unique and that every requirement and conflict names an add-on of the catalogue.</summary>
    public AddonCatalog(IEnumerable<AddonEntry> entries)
    {
        var list = entries.ToList();
        var problems = CrossCheck(list.Select(e => (e, (string?)null)).ToList());
        if (problems.Count > 0) throw new AddonCatalogException(string.Join(Environment.NewLine, problems));
        byId = list.ToDictionary(e => e.Id, StringComparer.Ordinal);
        Entries = [.. list.OrderBy(e => e.Name, StringComparer.OrdinalIgnoreCase).ThenBy(e => e.Id, StringComparer.Ordinal)];
    }

    /// <summary>Where the catalogue ships: the <c>catalog</c> folder beside the application's assemblies.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "catalog");

    /// <summary>Every add-on, sorted by name.</summary>
    public IReadOnlyList<AddonEntry> Entries { get; }

    public AddonEntry? Find(string id) => byId.GetValueOrDefault(id);

    /// <summary>
    /// Reads every <c>*.yaml</c> of <paramref name="directory"/> (values schemas and chart defaults are files the entries
    /// point at, relative to the directory). Any problem throws <see cref="AddonCatalogException"/> naming the file and
    /// the field, for example "catalog/mlflow.yaml: versions[0].source.helm.chart: is required.".
    /// </summary>
    public static AddonCatalog Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new AddonCatalogException($"The add-on catalogue folder {directory} does not exist.");
        var files = Directory.GetFiles(directory, "*.yaml", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal).ToList();
        var entries = files.Select(f => (CatalogFile.Read(directory, f), (string?)Label(directory, f))).ToList();
        var problems = CrossCheck(entries);
        if (problems.Count > 0) throw new AddonCatalogException(string.Join(Environment.NewLine, problems));
        return new AddonCatalog(entries.Select(e => e.Item1));
    }

    internal static string Label(string directory, string file) =>
        $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(directory))}/{Path.GetRelativePath(directory, file).Replace('\\', '/')}";

    /// <summary>The checks that need the whole catalogue; <c>file</c> (when known) prefixes each message.</summary>
    private static List<string> CrossCheck(IReadOnlyList<(AddonEntry Entry, string? File)> entries)
    {
        var problems = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, file) in entries)
            if (!ids.Add(entry.Id)) problems.Add($"{Where(file, "id")}the add-on id \"{entry.Id}\" is used by more than one catalogue entry.");
        foreach (var (entry, file) in entries)
        {
            for (var v = 0; v < entry.Versions.Count; v++)
            {
                var version = entry.Versions[v];
                for (var r = 0; r < version.Requires.Count; r++)
                {
                    var requirement = version.Requires[r];
                    var field = $"versions[{v}].requires[{r}].id";
                    if (requirement.AddonId == entry.Id)
                        problems.Add($"{Where(file, field)}{entry.Id} {version.Version} cannot require itself.");
                    else if (!ids.Contains(requirement.AddonId))
                        problems.Add($"{Where(file, field)}{entry.Id} {version.Version} requires \"{requirement.AddonId}\", which is not in the catalogue.");
                }
                for (var c = 0; c < version.Conflicts.Count; c++)
                    if (!ids.Contains(version.Conflicts[c]))
                        problems.Add($"{Where(file, $"versions[{v}].conflicts[{c}]")}{entry.Id} {version.Version} conflicts with \"{version.Conflicts[c]}\", which is not in the catalogue.");
            }
        }
        return problems;
    }

    private static string Where(string? file, string field) => file is null ? "" : $"{file}: {field}: ";
}
