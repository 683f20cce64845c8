using System.Globalization;
using System.Text;
using Portal.Core.Costs.Metering;

namespace Portal.Core.Costs.Storage;

/// <summary>
/// A cost report as CSV (<c>period,&lt;groupBy&gt;,amount,currency</c>, one line per cell, amounts in rounded cents that add
/// up to the report's total). The format of <c>GET /api/v1/costs.csv</c>, written here so the pages' download (a
/// data: link, since the API does not take the UI's cookie) gives the same file.
/// </summary>
public static class CostCsv
{
    /// <summary>The grouping as the API's <c>groupBy</c> spells it (also the CSV's second column header).</summary>
    public static string NameOf(CostGrouping grouping) => grouping switch
    {
        CostGrouping.NodePool => "nodePool",
        _ => grouping.ToString().ToLowerInvariant(),
    };

    public static string Write(CostReport report, string? groupByName = null)
    {
        var csv = new StringBuilder("period,").Append(groupByName ?? NameOf(report.GroupBy)).Append(",amount,currency\n");
        foreach (var cell in report.Cells)
        {
            csv.Append(cell.Period.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append(',')
                .Append(Field(cell.Key)).Append(',')
                .Append(cell.Cents.ToString("0.00", CultureInfo.InvariantCulture)).Append(',')
                .Append(report.Currency).Append('\n');
        }
        return csv.ToString();
    }

    private static string Field(string value) =>
        value.IndexOfAny([',', '"', '\n']) < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
