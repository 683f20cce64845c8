using Portal.Testing;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>Finds folders of this repository from the test binaries (tests run from bin/..., or an artifacts folder).</summary>
public static class RepositoryPaths
{
    public static string Root => RepositoryRoot.Path;

    public static string Tests(params string[] parts) => Path.Combine([Root, "tests", "Portal.Web.Tests", .. parts]);
}
