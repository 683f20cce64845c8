namespace Portal.Web.Startup;

/// <summary>Operator commands run from the same binary: <c>tokens create --user SUBJECT --scopes admin</c>.</summary>
public static class PortalCommands
{
    public static Task<bool> TryRunAsync(string[] args) => Task.FromResult(false);
}
