namespace Portal.Api.Tests.Infrastructure;

public static class Names
{
    /// <summary>A fresh valid team slug, so tests sharing a database never collide.</summary>
    public static string Slug(string prefix = "team") => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
