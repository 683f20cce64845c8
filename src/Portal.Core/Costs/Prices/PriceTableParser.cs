using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Portal.Core.Common;

namespace Portal.Core.Costs.Prices;

/// <summary>
/// Reads an admin-uploaded price table (CSV or JSON, formats in docs/costs.md) into a <see cref="PriceTable"/>, or
/// throws a <see cref="DomainValidationException"/> naming every bad line and field: <c>lines[4].price</c> for CSV
/// (the file's 1-based line number), <c>prices[2].price</c> for JSON.
/// </summary>
public static partial class PriceTableParser
{
    public const int MaxRows = 10_000;
    public const decimal MaxPrice = 10_000m;
    private const int MaxErrors = 100;

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]$")]
    private static partial Regex RegionName();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]*\.[a-z0-9-]+$")]
    private static partial Regex InstanceTypeName();

    /// <summary>A CSV with header <c>kind,name,unit,price</c>; the table's region, date and source come from the upload form.</summary>
    public static PriceTable ParseCsv(string csv, string region, DateOnly asOf, string sourceName, string currency = Money.Usd)
    {
        var errors = new ValidationErrors();
        CheckHeader(errors, region, asOf, sourceName, currency);
        var rows = new List<Row>();
        var lines = csv.Replace("\r\n", "\n").Split('\n');
        var headerSeen = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var number = i + 1;
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            if (!headerSeen)
            {
                headerSeen = true;
                if (!cells.Select(c => c.ToLowerInvariant()).SequenceEqual(["kind", "name", "unit", "price"]))
                    errors.Add($"lines[{number}]", $"line {number}: the first line must be the header kind,name,unit,price.");
                continue;
            }
            if (cells.Length != 4)
            {
                errors.Add($"lines[{number}]", $"line {number}: expected 4 comma-separated values (kind,name,unit,price), found {cells.Length}.");
                continue;
            }
            var price = decimal.TryParse(cells[3], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var p) ? p : (decimal?)null;
            rows.Add(new Row($"lines[{number}]", $"line {number}", cells[0], cells[1], cells[2], price, cells[3]));
        }
        if (!headerSeen) errors.Add("lines", "the file is empty: expected the header kind,name,unit,price and at least one row.");
        return Build(errors, rows, region, asOf, sourceName, currency);
    }

    /// <summary>
    /// <c>{"region","asOf","source","currency","prices":[{"kind","name","unit","price"}]}</c>; prices are JSON numbers.
    /// </summary>
    public static PriceTable ParseJson(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new DomainValidationException("$", $"not valid JSON: {e.Message}");
        }
        using (document)
        {
            var errors = new ValidationErrors();
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new DomainValidationException("$", "expected a JSON object.");
            var region = Text(root, "region") ?? "";
            var sourceName = Text(root, "source") ?? "";
            var currency = Text(root, "currency") ?? Money.Usd;
            var asOf = DateOnly.TryParseExact(Text(root, "asOf") ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : default;
            if (asOf == default) errors.Add("asOf", "must be a date written yyyy-MM-dd.");
            CheckHeader(errors, region, asOf == default ? new DateOnly(2000, 1, 1) : asOf, sourceName, currency);
            var rows = new List<Row>();
            if (!root.TryGetProperty("prices", out var prices) || prices.ValueKind != JsonValueKind.Array)
                errors.Add("prices", "must be an array of {kind, name, unit, price}.");
            else
            {
                var i = 0;
                foreach (var item in prices.EnumerateArray())
                {
                    var field = $"prices[{i}]";
                    if (item.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add(field, $"{field}: must be an object {{kind, name, unit, price}}.");
                    }
                    else
                    {
                        var hasPrice = item.TryGetProperty("price", out var pv) && pv.ValueKind == JsonValueKind.Number;
                        decimal? price = hasPrice && pv.TryGetDecimal(out var p) ? p : null;
                        rows.Add(new Row(field, field, Text(item, "kind") ?? "", Text(item, "name") ?? "", Text(item, "unit") ?? "", price,
                            hasPrice ? pv.GetRawText() : item.TryGetProperty("price", out var raw) ? raw.GetRawText() : ""));
                    }
                    i++;
                }
            }
            return Build(errors, rows, region, asOf, sourceName, currency);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static void CheckHeader(ValidationErrors errors, string region, DateOnly asOf, string sourceName, string currency)
    {
        if (!RegionName().IsMatch(region ?? "")) errors.Add("region", "must be an AWS region name such as eu-west-1.");
        if (asOf.Year < 2000) errors.Add("asOf", "must be the date the prices were published.");
        if (string.IsNullOrWhiteSpace(sourceName) || sourceName.Length > 200) errors.Add("source", "must say where the prices come from (1 to 200 characters).");
        if (currency != Money.Usd) errors.Add("currency", $"must be {Money.Usd}: AWS bills in USD and the portal does not convert currencies.");
    }

    private sealed record Row(string Field, string Where, string Kind, string Name, string Unit, decimal? Price, string RawPrice);

    private static PriceTable Build(ValidationErrors errors, List<Row> rows, string region, DateOnly asOf, string sourceName, string currency)
    {
        if (rows.Count > MaxRows) errors.Add("prices", $"at most {MaxRows} rows; this table has {rows.Count}.");
        var instances = new Dictionary<string, decimal>(StringComparer.Ordinal);
        decimal? eksStandard = null, eksExtended = null, gp3 = null;
        var firstSeen = new Dictionary<(string, string), string>();
        var errorCount = 0;
        foreach (var row in rows.Take(MaxRows))
        {
            if (errorCount >= MaxErrors) break;
            var bad = false;
            void Fail(string field, string message)
            {
                errors.Add($"{row.Field}.{field}", $"{row.Where}: {message}");
                bad = true;
                errorCount++;
            }

            var kind = row.Kind.ToLowerInvariant();
            var expectedUnit = kind switch { "instance" or "eks" => "hour", "ebs" => "gb-month", _ => null };
            if (expectedUnit is null) Fail("kind", $"'{row.Kind}' is not a kind of price; use instance, eks or ebs.");
            else
            {
                var nameOk = kind switch
                {
                    "instance" => InstanceTypeName().IsMatch(row.Name),
                    "eks" => row.Name is "standard" or "extended",
                    _ => row.Name == "gp3",
                };
                if (!nameOk)
                    Fail("name", kind switch
                    {
                        "instance" => $"'{row.Name}' is not an EC2 instance type name such as m5.large.",
                        "eks" => $"'{row.Name}' is not an EKS support tier; use standard or extended.",
                        _ => $"'{row.Name}' is not a supported volume type; only gp3 is metered.",
                    });
                if (!string.Equals(row.Unit, expectedUnit, StringComparison.OrdinalIgnoreCase))
                    Fail("unit", $"{kind} prices are per {expectedUnit}, not '{row.Unit}'.");
            }
            if (row.Price is not { } price || price <= 0m || price > MaxPrice)
                Fail("price", $"'{row.RawPrice}' is not a price: write a positive decimal with a dot, at most {MaxPrice}, without a currency sign.");
            if (bad) continue;

            var key = (kind, row.Name);
            if (firstSeen.TryGetValue(key, out var earlier))
            {
                Fail("name", $"{kind} {row.Name} is listed twice (first at {earlier}).");
                continue;
            }
            firstSeen[key] = row.Where;
            switch (kind, row.Name)
            {
                case ("instance", _): instances[row.Name] = row.Price!.Value; break;
                case ("eks", "standard"): eksStandard = row.Price; break;
                case ("eks", _): eksExtended = row.Price; break;
                default: gp3 = row.Price; break;
            }
        }
        if (instances.Count == 0 && !errors.Any) errors.Add("prices", "the table lists no instance prices.");
        errors.ThrowIfAny();
        return new PriceTable(region, new PriceSource(sourceName.Trim(), asOf), instances, eksStandard, eksExtended, gp3, currency);
    }
}
