using System.Text;

namespace Portal.Testing;

/// <summary>
/// Writes a suite's latest counts into its own section of <c>docs/reliability.md</c>, between
/// <c>&lt;!-- suite:ID --&gt;</c> and <c>&lt;!-- /suite:ID --&gt;</c>, so the document is produced by the suites rather than
/// typed by hand. Each suite owns one section; the rest of the file is left as it is. A section that does not exist
/// yet is appended. Suites call it at the end of a passing run (a failing run leaves the last good counts).
/// </summary>
public static class ReliabilityReport
{
    private static readonly Lock Gate = new();

    public static string DocumentPath { get; } = Path.Combine(RepositoryRoot.Path, "docs", "reliability.md");

    /// <summary>Replaces the section of <paramref name="suiteId"/> (for example "R4") with <paramref name="markdown"/>.</summary>
    public static void Write(string suiteId, string markdown)
    {
        var begin = $"<!-- suite:{suiteId} -->";
        var end = $"<!-- /suite:{suiteId} -->";
        var section = $"{begin}\n{markdown.TrimEnd()}\n{end}";
        lock (Gate)
        {
            // Several test processes may write at once (the projects run in parallel): retry a locked file briefly.
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    var text = File.Exists(DocumentPath) ? File.ReadAllText(DocumentPath) : "# Reliability and security suites\n";
                    var from = text.IndexOf(begin, StringComparison.Ordinal);
                    var to = text.IndexOf(end, StringComparison.Ordinal);
                    text = from >= 0 && to > from
                        ? text[..from] + section + text[(to + end.Length)..]
                        : text.TrimEnd() + "\n\n" + section + "\n";
                    using var stream = new FileStream(DocumentPath, FileMode.Create, FileAccess.Write, FileShare.None);
                    stream.Write(Encoding.UTF8.GetBytes(text));
                    return;
                }
                catch (IOException) when (attempt < 20)
                {
                    Thread.Sleep(50);
                }
            }
        }
    }

    /// <summary>A markdown table from a header and rows, for the sections.</summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object>> rows)
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", header).Append(" |\n");
        text.Append('|').AppendJoin("|", header.Select(_ => "---")).Append("|\n");
        foreach (var row in rows) text.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        return text.ToString();
    }
}
