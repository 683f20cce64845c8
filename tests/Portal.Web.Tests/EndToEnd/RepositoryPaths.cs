using System.Runtime.CompilerServices;

namespace Portal.Web.Tests.EndToEnd;

/// <summary>Finds folders of this repository from the test binaries (tests run from bin/..., or an artifacts folder).</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Tests(params string[] parts) => Path.Combine([Root, "tests", "Portal.Web.Tests", .. parts]);

    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        // The source file's own path works when binaries live in an artifacts folder outside the repository.
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Unicron.Portal.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Could not find Unicron.Portal.sln above the test binaries, the working directory or this source file.");
    }
}
