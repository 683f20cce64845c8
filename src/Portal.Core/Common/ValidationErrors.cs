namespace Portal.Core.Common;

/// <summary>Collects field errors during a domain check and throws them together, so a caller sees every problem at once.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public ValidationErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    /// <summary>
    /// Free text (a name, a description, a reason): present when <paramref name="required"/>, at most
    /// <paramref name="maxLength"/> characters, and no control characters other than line breaks and tabs.
    /// </summary>
    public ValidationErrors CheckText(string field, string? value, int maxLength, bool required = false)
    {
        if (value is null || value.Trim().Length == 0)
        {
            if (required) Add(field, "is required.");
            return this;
        }
        if (value.Length > maxLength) Add(field, $"must be at most {maxLength} characters (got {value.Length}).");
        if (value.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))) Add(field, "must not contain control characters.");
        return this;
    }

    public bool Any => _errors.Count > 0;

    public void ThrowIfAny()
    {
        if (Any) throw new DomainValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}
