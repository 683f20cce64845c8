using System.Text.Json.Nodes;

namespace Portal.Emulator.Kubernetes.Server;

/// <summary>Label and field selectors in the apiserver's query syntax.</summary>
public static class Selectors
{
    private sealed record Requirement(string Key, string Operator, string[] Values);

    /// <summary>Parses <c>a=b,c!=d,e in (x,y),f notin (z),g,!h</c>; null when the selector is empty.</summary>
    public static Func<JsonObject, bool>? Label(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return null;
        var requirements = Split(selector).Select(ParseLabelRequirement).ToList();
        return obj =>
        {
            var labels = obj["metadata"]?["labels"] as JsonObject ?? [];
            return requirements.All(r => Matches(r, labels));
        };
    }

    private static IEnumerable<string> Split(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            if (selector[i] == '(') depth++;
            else if (selector[i] == ')') depth--;
            else if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i].Trim();
                start = i + 1;
            }
        }
        yield return selector[start..].Trim();
    }

    private static Requirement ParseLabelRequirement(string text)
    {
        if (text.StartsWith('!')) return new(text[1..].Trim(), "!", []);
        foreach (var op in new[] { " notin ", " in " })
        {
            var at = text.IndexOf(op, StringComparison.Ordinal);
            if (at < 0) continue;
            var list = text[(at + op.Length)..].Trim();
            if (!list.StartsWith('(') || !list.EndsWith(')')) throw KubeStatus.BadRequest($"unable to parse requirement: found '{list}', expected: '('");
            return new(text[..at].Trim(), op.Trim(), list[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }
        foreach (var op in new[] { "!=", "==", "=" })
        {
            var at = text.IndexOf(op, StringComparison.Ordinal);
            if (at >= 0) return new(text[..at].Trim(), op == "==" ? "=" : op, [text[(at + op.Length)..].Trim()]);
        }
        if (text.Length == 0 || text.Any(c => c is ' ' or '(' or ')'))
            throw KubeStatus.BadRequest($"unable to parse requirement: {text}");
        return new(text, "exists", []);
    }

    private static bool Matches(Requirement r, JsonObject labels)
    {
        var value = Json.Str(labels, r.Key);
        return r.Operator switch
        {
            "=" => value == r.Values[0],
            "!=" => value != r.Values[0],
            "in" => value is not null && r.Values.Contains(value),
            "notin" => value is null || !r.Values.Contains(value),
            "exists" => value is not null,
            "!" => value is null,
            _ => false,
        };
    }

    /// <summary>A LabelSelector's matchExpressions entry against a label map.</summary>
    public static bool ExpressionMatches(JsonObject expression, JsonObject labels)
    {
        var key = Json.Str(expression, "key") ?? "";
        var values = (expression["values"] as JsonArray ?? []).Select(v => (string?)v ?? "").ToArray();
        var op = Json.Str(expression, "operator");
        return op switch
        {
            "In" => Matches(new(key, "in", values), labels),
            "NotIn" => Matches(new(key, "notin", values), labels),
            "Exists" => Matches(new(key, "exists", values), labels),
            "DoesNotExist" => Matches(new(key, "!", values), labels),
            _ => false,
        };
    }

    /// <summary>A LabelSelector object (matchLabels + matchExpressions) against an object's labels.</summary>
    public static bool LabelSelectorMatches(JsonObject? selector, JsonObject obj)
    {
        if (selector is null) return false;
        var labels = obj["metadata"]?["labels"] as JsonObject ?? [];
        return (selector["matchLabels"] as JsonObject ?? []).All(l => JsonNode.DeepEquals(labels[l.Key], l.Value))
            && (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>().All(e => ExpressionMatches(e, labels));
    }

    // The fields kube-apiserver indexes per type; any other field is refused, as it is there.
    private static readonly Dictionary<string, string[]> ExtraFields = new(StringComparer.Ordinal)
    {
        ["/pods"] = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"],
        ["/events"] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
        ["/secrets"] = ["type"],
        ["/namespaces"] = ["status.phase"],
        ["/nodes"] = ["spec.unschedulable"],
        ["batch/jobs"] = ["status.successful"],
    };

    public static Func<JsonObject, bool>? Field(string? selector, string storageKey)
    {
        if (string.IsNullOrWhiteSpace(selector)) return null;
        var requirements = new List<(string Field, bool Equal, string Value)>();
        foreach (var part in selector.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (field, equal, value) = part.IndexOf("!=", StringComparison.Ordinal) is var ne and >= 0
                ? (part[..ne], false, part[(ne + 2)..])
                : part.IndexOf("==", StringComparison.Ordinal) is var ee and >= 0
                    ? (part[..ee], true, part[(ee + 2)..])
                    : part.IndexOf('=') is var e and >= 0
                        ? (part[..e], true, part[(e + 1)..])
                        : throw KubeStatus.BadRequest($"invalid selector: '{selector}'; can't understand '{part}'");
            field = field.Trim();
            if (field is not ("metadata.name" or "metadata.namespace")
                && !(ExtraFields.TryGetValue(storageKey, out var allowed) && allowed.Contains(field)))
                throw KubeStatus.BadRequest($"field label not supported: {field}");
            requirements.Add((field, equal, value.Trim()));
        }
        return obj => requirements.All(r =>
        {
            var actual = Json.Str(obj, r.Field.Split('.')) ?? (obj[r.Field.Split('.')[0]] is null ? "" : null);
            return r.Equal ? actual == r.Value : actual != r.Value;
        });
    }
}
