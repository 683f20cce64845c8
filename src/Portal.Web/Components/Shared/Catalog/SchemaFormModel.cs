using System.Text.Json.Nodes;
using Portal.Core.Addons.Catalog;

namespace Portal.Web.Components.Shared.Catalog;

/// <summary>
/// The state behind <see cref="SchemaForm"/>: the values as they would be installed (defaults with the user's
/// changes on top), the defaults they started from, which sections are open, and the validation problems by path.
/// The form edits <see cref="Values"/>; what it hands back is <see cref="Overrides"/>, the difference.
/// </summary>
public sealed class SchemaFormModel
{
    private readonly HashSet<ValuePath> _expanded = [];
    private Dictionary<ValuePath, List<string>> _problems = [];
    private List<ValuesProblem> _unplaced = [];

    /// <param name="schema">The values schema; null (no schema upstream) leaves the form empty and the YAML tab in charge.</param>
    /// <param name="defaults">The values before any change: chart defaults with the platform's defaults on top.</param>
    /// <param name="overrides">Changes made earlier (reopening a form, or from the YAML tab).</param>
    public SchemaFormModel(JsonObject? schema, JsonObject defaults, JsonObject? overrides = null)
    {
        Schema = schema ?? [];
        Defaults = defaults;
        Values = (JsonObject)defaults.DeepClone();
        if (overrides is not null) Overlay(Values, overrides);
    }

    public JsonObject Schema { get; }

    public JsonObject Defaults { get; }

    /// <summary>What would be installed: <see cref="Defaults"/> with the user's changes.</summary>
    public JsonObject Values { get; }

    /// <summary>Raised after every change of a value.</summary>
    public event Action? Changed;

    /// <summary>Only what differs from <see cref="Defaults"/>: objects compared key by key, lists and scalars whole.</summary>
    public JsonObject Overrides => Difference(Values, Defaults);

    public JsonNode? Get(ValuePath path) => Find(Values, path);

    public JsonNode? DefaultAt(ValuePath path) => Find(Defaults, path);

    /// <summary>
    /// Sets the value at <paramref name="path"/>, creating the objects above it. Null means "no value of my own":
    /// the default comes back, or the key goes when there is none.
    /// </summary>
    public void Set(ValuePath path, JsonNode? value)
    {
        if (path.IsRoot) throw new ArgumentException("The root is not a value of its own.", nameof(path));
        value ??= DefaultAt(path)?.DeepClone();
        var parent = Values as JsonNode;
        for (var i = 0; i < path.Segments.Count - 1; i++)
        {
            var segment = path.Segments[i];
            var next = path.Segments[i + 1];
            JsonNode? child = segment switch
            {
                string name => parent!.AsObject()[name],
                int index => parent!.AsArray()[index],
                _ => null,
            };
            if (child is null)
            {
                child = next is int ? new JsonArray() : new JsonObject();
                if (segment is string key) parent!.AsObject()[key] = child;
                else parent!.AsArray()[(int)segment] = child;
            }
            parent = child;
        }
        switch (path.Segments[^1])
        {
            case string name when value is null:
                parent!.AsObject().Remove(name);
                break;
            case string name:
                parent!.AsObject()[name] = value;
                break;
            case int index:
                parent!.AsArray()[index] = value;
                break;
        }
        Changed?.Invoke();
    }

    /// <summary>Appends an item to the list at <paramref name="path"/> (created when absent).</summary>
    public void Add(ValuePath path, JsonNode? item)
    {
        var list = Get(path) as JsonArray;
        var copy = list is null ? new JsonArray() : (JsonArray)list.DeepClone();
        copy.Add(item);
        Set(path, copy);
    }

    public void RemoveAt(ValuePath path, int index)
    {
        if (Get(path) is not JsonArray list || index < 0 || index >= list.Count) return;
        var copy = (JsonArray)list.DeepClone();
        copy.RemoveAt(index);
        Set(path, copy);
    }

    public bool IsExpanded(ValuePath path) => _expanded.Contains(path);

    public void Toggle(ValuePath path)
    {
        if (!_expanded.Remove(path)) _expanded.Add(path);
    }

    /// <summary>
    /// Places each problem on the field of its path and opens the sections above it, so nothing needing attention
    /// stays folded away. Problems at paths the form does not draw go to <see cref="Unplaced"/>.
    /// </summary>
    public void SetProblems(IEnumerable<ValuesProblem> problems)
    {
        _problems = [];
        _unplaced = [];
        foreach (var problem in problems)
        {
            var path = ValuePath.Parse(problem.Path);
            if (path is null || path.IsRoot || SchemaReader.At(Schema, path) is null)
            {
                _unplaced.Add(problem);
                continue;
            }
            if (!_problems.TryGetValue(path, out var messages)) _problems[path] = messages = [];
            messages.Add(problem.Message);
            foreach (var above in path.SelfAndAncestors()) _expanded.Add(above);
        }
    }

    /// <summary>Whether a problem sits somewhere inside the section at <paramref name="path"/>, to mark it while folded.</summary>
    public bool HasProblemsBelow(ValuePath path) =>
        _problems.Keys.Any(p => p.Segments.Count > path.Segments.Count && p.SelfAndAncestors().Contains(path));

    public IReadOnlyList<string> ProblemsAt(ValuePath path) => _problems.TryGetValue(path, out var messages) ? messages : [];

    /// <summary>Problems at the root or at paths without a field (free-form objects, undeclared keys).</summary>
    public IReadOnlyList<ValuesProblem> Unplaced => _unplaced;

    public int ProblemCount => _problems.Values.Sum(m => m.Count) + _unplaced.Count;

    private static JsonNode? Find(JsonNode? node, ValuePath path)
    {
        foreach (var segment in path.Segments)
        {
            node = (segment, node) switch
            {
                (string name, JsonObject obj) => obj[name],
                (int index, JsonArray list) when index < list.Count => list[index],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    // Helm's rule, which the catalogue's merge follows too: objects merge key by key, anything else replaces, and a
    // null removes the key. Kept beside Difference because the two must stay each other's inverse.
    private static void Overlay(JsonObject target, JsonObject changes)
    {
        foreach (var (key, value) in changes)
        {
            if (value is null) target.Remove(key);
            else if (value is JsonObject nested && target[key] is JsonObject existing) Overlay(existing, nested);
            else target[key] = value.DeepClone();
        }
    }

    private static JsonObject Difference(JsonObject values, JsonObject defaults)
    {
        var result = new JsonObject();
        foreach (var (key, value) in values)
        {
            var before = defaults[key];
            if (value is JsonObject nested && before is JsonObject nestedBefore)
            {
                var inner = Difference(nested, nestedBefore);
                if (inner.Count > 0) result[key] = inner;
            }
            else if (defaults.ContainsKey(key) ? !JsonNode.DeepEquals(value, before) : value is not null)
            {
                result[key] = value?.DeepClone();
            }
        }
        return result;
    }
}
