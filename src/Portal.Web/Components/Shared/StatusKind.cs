namespace Portal.Web.Components.Shared;

/// <summary>The full-page states a page falls back to instead of its content.</summary>
public enum StatusKind
{
    NotFound,
    Forbidden,
    Error,
}
