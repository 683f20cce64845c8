using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Portal.Core.Clusters;
using Portal.Core.Common;
using YamlDotNet.Core;

namespace Portal.Core.Addons.Catalog;

/// <summary>
/// Reads one <c>catalog/&lt;id&gt;.yaml</c> into an <see cref="AddonEntry"/>, strictly: unknown fields, wrong types and
/// values that fail their own schema are errors naming the file and the field path (the format: catalog/README.md).
/// </summary>
internal static class CatalogFile
{
    private static readonly string[] EntryFields = ["id", "name", "category", "description", "documentation", "icon", "delivery", "versions"];
    private static readonly string[] VersionFields =
        ["version", "maturity", "source", "namespace", "kubernetes", "requires", "provides", "conflicts", "values", "valuesSchema", "chartDefaults", "releaseNotes"];

    private static readonly Dictionary<string, AddonCategory> Categories = new(StringComparer.Ordinal)
    {
        ["data-processing"] = AddonCategory.DataProcessing,
        ["orchestration"] = AddonCategory.Orchestration,
        ["notebooks"] = AddonCategory.Notebooks,
        ["ml-lifecycle"] = AddonCategory.MlLifecycle,
        ["serving"] = AddonCategory.Serving,
        ["monitoring"] = AddonCategory.Monitoring,
    };

    /// <summary>The catalogue's spelling of a category ("ml-lifecycle").</summary>
    public static string CategoryName(AddonCategory category) => Categories.First(c => c.Value == category).Key;

    public static AddonEntry Read(string directory, string file)
    {
        var reader = new Reader(AddonCatalog.Label(directory, file), directory);
        JsonNode? root;
        try
        {
            using var text = File.OpenText(file);
            root = Yaml.ToJson(text);
        }
        catch (YamlException e)
        {
            throw reader.Fail($"line {e.Start.Line}", $"is not valid YAML: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            throw reader.Fail("(file)", e.Message);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this (without a position) on some unterminated flow collections.
            throw reader.Fail("(file)", $"is not valid YAML (an unclosed [ or {{?): {e.Message}", e);
        }
        var entry = reader.Object(root, "");
        var id = reader.Slug(entry, "", "id", 63);
        var expected = Path.GetFileNameWithoutExtension(file);
        if (id != expected) throw reader.Fail("id", $"must match the file name (\"{expected}\"), got \"{id}\".");
        var versionsNode = reader.Required(entry, "", "versions") as JsonArray ?? throw reader.Fail("versions", "must be a list.");
        if (versionsNode.Count == 0) throw reader.Fail("versions", "must list at least one version.");
        var versions = versionsNode.Select((v, i) => reader.Version(v, $"versions[{i}]")).ToList();
        var duplicate = versions.GroupBy(v => v.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw reader.Fail("versions", $"the version \"{duplicate.Key}\" is listed twice.");
        reader.NoUnknown(entry, "", EntryFields);
        var docs = reader.String(entry, "", "documentation");
        if (!Uri.TryCreate(docs, UriKind.Absolute, out var docsUri) || docsUri.Scheme is not ("https" or "http"))
            throw reader.Fail("documentation", "must be an absolute http(s) URL.");
        var category = reader.String(entry, "", "category");
        if (!Categories.TryGetValue(category, out var parsedCategory))
            throw reader.Fail("category", $"must be one of {string.Join(", ", Categories.Keys)}; got \"{category}\".");
        return new AddonEntry(
            id,
            reader.String(entry, "", "name"),
            parsedCategory,
            reader.String(entry, "", "description"),
            docsUri,
            reader.String(entry, "", "icon"),
            // Newest first, whatever order the file lists them in.
            [.. versions.OrderByDescending(v => v.Version, Comparer<string>.Create(VersionRange.Compare))],
            reader.OptionalString(entry, "", "delivery"));
    }

    private sealed class Reader(string file, string directory)
    {
        public AddonCatalogException Fail(string field, string message, Exception? inner = null) => new($"{file}: {field}: {message}", inner);

        private static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

        public JsonObject Object(JsonNode? node, string path) =>
            node as JsonObject ?? throw Fail(path.Length == 0 ? "(file)" : path, "must be a mapping of fields.");

        public JsonNode Required(JsonObject map, string path, string field) =>
            map[field] ?? throw Fail(Join(path, field), "is required.");

        public string String(JsonObject map, string path, string field)
        {
            var node = Required(map, path, field);
            if (node.GetValueKind() != JsonValueKind.String)
                throw Fail(Join(path, field), $"must be a string (quote it: YAML reads {node.ToJsonString()} as a {Kind(node)}).");
            var value = node.GetValue<string>();
            return string.IsNullOrWhiteSpace(value) ? throw Fail(Join(path, field), "is required.") : value;
        }

        public string? OptionalString(JsonObject map, string path, string field) => map[field] is null ? null : String(map, path, field);

        public string Slug(JsonObject map, string path, string field, int max)
        {
            var value = String(map, path, field);
            return Slugs.Check(value, 1, max) is { } problem ? throw Fail(Join(path, field), $"\"{value}\" {problem}") : value;
        }

        public List<string> Strings(JsonObject map, string path, string field)
        {
            if (map[field] is null) return [];
            if (map[field] is not JsonArray list) throw Fail(Join(path, field), "must be a list.");
            return list.Select((n, i) => n is not null && n.GetValueKind() == JsonValueKind.String && n.GetValue<string>().Length > 0
                ? n.GetValue<string>()
                : throw Fail($"{Join(path, field)}[{i}]", "must be a non-empty string.")).ToList();
        }

        public void NoUnknown(JsonObject map, string path, IEnumerable<string> known)
        {
            var unknown = map.Select(p => p.Key).Except(known).FirstOrDefault();
            if (unknown is not null) throw Fail(Join(path, unknown), $"is not a known field (known: {string.Join(", ", known)}).");
        }

        public AddonVersion Version(JsonNode? node, string path)
        {
            var map = Object(node, path);
            NoUnknown(map, path, VersionFields);
            var version = String(map, path, "version");
            if (!VersionRange.IsVersion(version)) throw Fail(Join(path, "version"), $"\"{version}\" is not a version (numeric dotted parts, such as 1.11.5).");
            var maturityText = String(map, path, "maturity");
            var maturity = maturityText switch
            {
                "alpha" => Maturity.Alpha,
                "beta" => Maturity.Beta,
                "stable" => Maturity.Stable,
                _ => throw Fail(Join(path, "maturity"), $"must be alpha, beta or stable; got \"{maturityText}\"."),
            };
            var source = Source(Object(Required(map, path, "source"), Join(path, "source")), Join(path, "source"));
            var ns = Slug(map, path, "namespace", 63);
            var (min, max) = Kubernetes(map, path);
            var requires = Requirements(map, path);
            var defaults = map["values"] is null ? [] : Object(map["values"], Join(path, "values"));
            var schema = map["valuesSchema"] is null ? null : Document(map["valuesSchema"]!, Join(path, "valuesSchema"));
            var chartDefaults = map["chartDefaults"] is null ? null : Document(map["chartDefaults"]!, Join(path, "chartDefaults"));
            if (chartDefaults is not null && schema is null)
                throw Fail(Join(path, "chartDefaults"), "only makes sense with a valuesSchema (chart defaults are there to validate merged values).");
            var result = new AddonVersion(
                version, maturity, source, ns, (JsonObject)defaults.DeepClone(), chartDefaults, schema, requires, min, max,
                Strings(map, path, "provides"), Strings(map, path, "conflicts"), String(map, path, "releaseNotes"));
            CheckDefaults(result, path);
            return result;
        }

        private AddonSource Source(JsonObject map, string path)
        {
            NoUnknown(map, path, ["helm", "git"]);
            if ((map["helm"] is null) == (map["git"] is null)) throw Fail(path, "must have exactly one of helm and git.");
            if (map["helm"] is { } helmNode)
            {
                var p = Join(path, "helm");
                var helm = Object(helmNode, p);
                NoUnknown(helm, p, ["repo", "chart", "version"]);
                var repo = String(helm, p, "repo");
                if (!Uri.TryCreate(repo, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http" or "oci"))
                    throw Fail(Join(p, "repo"), "must be an absolute https:// or oci:// URL of a Helm repository.");
                return new AddonSource(new HelmSource(repo, String(helm, p, "chart"), String(helm, p, "version")), null);
            }
            var g = Join(path, "git");
            var git = Object(map["git"], g);
            NoUnknown(git, g, ["repo", "path", "revision"]);
            var gitRepo = String(git, g, "repo");
            if (!Uri.TryCreate(gitRepo, UriKind.Absolute, out var gitUri) || gitUri.Scheme is not ("https" or "ssh"))
                throw Fail(Join(g, "repo"), "must be an absolute https:// or ssh:// URL of a Git repository.");
            return new AddonSource(null, new GitSource(gitRepo, String(git, g, "path"), String(git, g, "revision")));
        }

        private (KubernetesVersion? Min, KubernetesVersion? Max) Kubernetes(JsonObject map, string path)
        {
            if (map["kubernetes"] is null) return (null, null);
            var p = Join(path, "kubernetes");
            var k = Object(map["kubernetes"], p);
            NoUnknown(k, p, ["min", "max"]);
            KubernetesVersion? Parse(string field)
            {
                if (OptionalString(k, p, field) is not { } text) return null;
                return KubernetesVersion.TryParse(text, out var v) ? v : throw Fail(Join(p, field), $"\"{text}\" is not a Kubernetes version like \"1.30\".");
            }
            var (min, max) = (Parse("min"), Parse("max"));
            if (min > max) throw Fail(p, $"min {min} is above max {max}.");
            return (min, max);
        }

        private List<AddonRequirement> Requirements(JsonObject map, string path)
        {
            if (map["requires"] is null) return [];
            var p = Join(path, "requires");
            if (map["requires"] is not JsonArray list) throw Fail(p, "must be a list.");
            return list.Select((node, i) =>
            {
                var rp = $"{p}[{i}]";
                var r = Object(node, rp);
                NoUnknown(r, rp, ["id", "version"]);
                var range = r["version"] is null ? "*" : String(r, rp, "version");
                if (!VersionRange.IsValid(range)) throw Fail(Join(rp, "version"), $"\"{range}\" is not a version range (such as \">=1.14.0 <2.0.0\" or \"*\").");
                return new AddonRequirement(Slug(r, rp, "id", 63), range);
            }).ToList();
        }

        /// <summary>An inline mapping, or a path (relative to the catalogue folder) of a .json or .yaml file.</summary>
        private JsonObject Document(JsonNode node, string field)
        {
            if (node is JsonObject inline) return (JsonObject)inline.DeepClone();
            if (node.GetValueKind() != JsonValueKind.String) throw Fail(field, "must be a mapping or the path of a file in the catalogue folder.");
            var relative = node.GetValue<string>();
            var root = Path.GetFullPath(directory);
            var full = Path.GetFullPath(Path.Combine(root, relative));
            if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw Fail(field, $"\"{relative}\" must stay inside the catalogue folder.");
            if (!File.Exists(full)) throw Fail(field, $"the file \"{relative}\" does not exist.");
            try
            {
                JsonNode? parsed;
                if (full.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) parsed = JsonNode.Parse(File.ReadAllText(full));
                else
                {
                    using var text = File.OpenText(full);
                    parsed = Yaml.ToJson(text);
                }
                return parsed as JsonObject ?? throw Fail(field, $"the file \"{relative}\" must hold a mapping.");
            }
            catch (Exception e) when (e is JsonException or YamlException or InvalidDataException)
            {
                throw Fail(field, $"the file \"{relative}\" cannot be read: {e.Message}", e);
            }
        }

        /// <summary>A schema that does not compile, or defaults it refuses, must stop the start, not the first install.</summary>
        private void CheckDefaults(AddonVersion version, string path)
        {
            if (version.ValuesSchema is null) return;
            JsonSchema schema;
            try
            {
                schema = AddonValues.CompiledSchema(version.ValuesSchema);
            }
            catch (Exception e) when (e is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException)
            {
                throw Fail(Join(path, "valuesSchema"), $"is not a valid JSON Schema: {e.Message}", e);
            }
            var problems = AddonValues.Problems(schema, AddonValues.Effective(version, []));
            if (problems.Count > 0)
                throw Fail(Join(path, "values"), "the default values do not match the values schema: "
                    + string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}")));
        }

        private static string Kind(JsonNode node) => node.GetValueKind() switch
        {
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Array => "list",
            JsonValueKind.Object => "mapping",
            _ => "value",
        };
    }
}
