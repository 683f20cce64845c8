namespace Portal.Emulator.Shared;

/// <summary>
/// Finds the official specifications the emulator is held to. The csproj copies them next to the binaries
/// (<c>specs/</c>); a test or tool run from elsewhere falls back to the repository's sibling <c>shared/specs</c>.
/// </summary>
public static class SpecFiles
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The folder that holds <c>aws/</c>, <c>kubernetes/</c> and <c>crds/</c>.</summary>
    public static string Directory => Root.Value;

    /// <summary>The full path of a spec file, e.g. <c>Path("aws", "eks-2017-11-01.service-2.json")</c>.</summary>
    public static string Path(params string[] parts)
    {
        var path = System.IO.Path.Combine([Directory, .. parts]);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Specification file not found: {path}", path);
    }

    private static string FindRoot()
    {
        var beside = System.IO.Path.Combine(AppContext.BaseDirectory, "specs");
        if (System.IO.Directory.Exists(System.IO.Path.Combine(beside, "aws"))) return beside;

        // Walk up from the binaries (and the working directory) looking for shared/specs.
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, "shared", "specs");
                if (System.IO.Directory.Exists(System.IO.Path.Combine(candidate, "aws"))) return candidate;
            }
        }
        throw new DirectoryNotFoundException($"The specifications folder (specs/aws) was found neither beside {AppContext.BaseDirectory} nor in a parent's shared/specs.");
    }
}
