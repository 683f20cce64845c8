using System.Runtime.CompilerServices;

namespace Portal.Testing;

/// <summary>The repository's root folder (the one holding Unicron.Portal.sln), for tests and benchmarks that read or write files of the repository.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find([CallerFilePath] string sourceFile = "")
    {
        // The source file's own path works when binaries live in an artifacts folder outside the repository.
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), System.IO.Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Unicron.Portal.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Could not find Unicron.Portal.sln above the binaries, the working directory or this source file.");
    }
}
