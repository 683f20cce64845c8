using Portal.Core.Common;

namespace Portal.Web.Components.Shared;

/// <summary>
/// The field messages of a <see cref="DomainValidationException"/> (or a field-specific conflict), held by a form so
/// each input shows its own message. Field names are the services' camelCase names ("displayName").
/// </summary>
public sealed class FieldErrors
{
    private Dictionary<string, string[]> _errors = new(StringComparer.OrdinalIgnoreCase);

    public bool Any => _errors.Count > 0;

    public void Clear() => _errors = new(StringComparer.OrdinalIgnoreCase);

    public void Set(DomainValidationException exception) =>
        _errors = new(exception.Errors, StringComparer.OrdinalIgnoreCase);

    public void Set(string field, string message) => _errors[field] = [message];

    public bool Has(string field) => _errors.ContainsKey(field);

    /// <summary>"Slug must be 3 to 30 characters long": the services phrase messages to follow the field's name.</summary>
    public string? Text(string field, string label) =>
        _errors.TryGetValue(field, out var messages) ? $"{label} {string.Join(" ", messages)}" : null;

    /// <summary>Messages for fields the form has no input for, so nothing the service said is silently dropped.</summary>
    public IEnumerable<string> Others(params string[] shownFields) =>
        _errors.Where(e => !shownFields.Contains(e.Key, StringComparer.OrdinalIgnoreCase))
            .SelectMany(e => e.Value.Select(m => $"{e.Key} {m}"));
}
