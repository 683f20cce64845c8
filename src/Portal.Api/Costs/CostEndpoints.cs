using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Infrastructure;
using Portal.Core.Common;
using Portal.Core.Costs;
using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Hibernation;
using Portal.Core.Costs.Metering;
using Portal.Core.Costs.Storage;

namespace Portal.Api.Costs;

/// <summary>
/// Costs: reports (<c>/costs</c>, <c>/costs.csv</c>), team budgets (<c>/teams/{team}/budget</c>) and prices
/// (<c>/prices</c>, admin upload at <c>/admin/prices</c>).
/// </summary>
public static class CostEndpoints
{
    public const string CsvContentType = "text/csv";

    public static RouteGroupBuilder MapCostEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/costs", GetCostsAsync).WithTags("Costs").WithName("GetCosts")
            .WithSummary("Costs grouped by team, environment, cluster, nodePool or endpoint, per hour, day or month. Admins see all teams, members their own.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/costs.csv", GetCostsCsvAsync).WithTags("Costs").WithName("ExportCosts")
            .WithSummary("The same report as CSV (period,key,amount,currency): one line per cell; the amounts add up to the JSON total.")
            .Produces<string>(StatusCodes.Status200OK, CsvContentType)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        var budget = api.MapGroup("/teams/{team}/budget").WithTags("Costs").ProducesProblem(StatusCodes.Status404NotFound);
        budget.MapGet("/", GetBudgetAsync).WithName("GetBudget")
            .WithSummary("The team's monthly budget with this month's spend, forecast and the thresholds already notified. " +
                         "The webhook URL's credentials (user info, query values) are masked; sending the masked URL back keeps them.");
        budget.MapPut("/", PutBudgetAsync).WithName("PutBudget")
            .WithSummary("Set the team's budget (maintainers and owners). Honours If-Match.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        api.MapGet("/teams/{team}/costs/hibernation", GetHibernationSavingsAsync).WithTags("Costs").WithName("GetHibernationSavings")
            .WithSummary("Every node pool of the team with a schedule, and its estimated saving in a UTC month (?month=2026-11, default this month), with the price table's date.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/prices", GetPricesAsync).WithTags("Costs").WithName("ListPrices")
            .WithSummary("Price tables by region: every figure with the source and date of its table, and whether it is estimated.")
            .ProducesValidationProblem();
        api.MapPost("/admin/prices", UploadPricesAsync).WithTags("Costs").WithName("UploadPrices")
            .WithSummary("Upload a region's price table (platform admins): text/csv with ?region=&asOf=&source=, or application/json. Replaces the region's table.")
            .Accepts<string>(CsvContentType, "application/json")
            // A whole region's price list in one upload; the only API body allowed past the 1 MiB default.
            .WithRequestBodyLimit(RequestBodyLimit.MiB(8))
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return api;
    }

    private static async Task<Ok<HibernationSavingsResponse>> GetHibernationSavingsAsync(HttpContext http, HibernationService hibernation, string team,
        string? month, CancellationToken ct)
    {
        BudgetMonth? which = null;
        if (month is not null)
        {
            if (!DateTime.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                throw new DomainValidationException("month", $"'{month}' is not a month as yyyy-MM (e.g. 2026-11).");
            which = new BudgetMonth(parsed.Year, parsed.Month);
        }
        var report = await hibernation.EstimateSavingsAsync(http.Actor(), team, which, ct);
        return TypedResults.Ok(new HibernationSavingsResponse(team, report.Month.ToString(),
            report.Pools.Select(PoolSavingResponse.From).ToList(), PoolSavingResponse.Amount(report.Total)));
    }

    private static async Task<Ok<CostReportResponse>> GetCostsAsync(HttpContext http, CostReports reports, string? groupBy, string? from, string? to,
        string? team, string? granularity, CancellationToken ct)
    {
        var (query, name) = Parse(groupBy, from, to, team, granularity);
        return TypedResults.Ok(CostReportResponse.Of(await reports.QueryAsync(http.Actor(), query, ct), name));
    }

    private static async Task<ContentHttpResult> GetCostsCsvAsync(HttpContext http, CostReports reports, string? groupBy, string? from, string? to,
        string? team, string? granularity, CancellationToken ct)
    {
        var (query, name) = Parse(groupBy, from, to, team, granularity);
        var report = await reports.QueryAsync(http.Actor(), query, ct);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"costs-{name}.csv\"";
        return TypedResults.Text(CostCsv.Write(report, name), CsvContentType, Encoding.UTF8);
    }

    private static async Task<Ok<BudgetResponse>> GetBudgetAsync(HttpContext http, BudgetService budgets, string team, CancellationToken ct) =>
        TypedResults.Ok(BudgetResponse.From(await budgets.GetAsync(http.Actor(), team, ct)));

    private static async Task<Ok<BudgetResponse>> PutBudgetAsync(HttpContext http, BudgetService budgets, string team, PutBudgetRequest request,
        [FromHeader(Name = ETags.IfMatchHeader)] string? ifMatch, CancellationToken ct)
    {
        var view = await budgets.PutAsync(http.Actor(), team,
            new BudgetChange(request.MonthlyLimit, request.EnvironmentLimits, request.Thresholds, request.WebhookUrl, request.WebhookSecret,
                request.Currency ?? Money.Usd),
            ETags.ParseIfMatch(ifMatch), ct);
        return TypedResults.Ok(BudgetResponse.From(view));
    }

    private static async Task<Ok<PriceListResponse>> GetPricesAsync(HttpContext http, PriceTableStore prices, string? region, CancellationToken ct)
    {
        var tables = await prices.ListAsync(http.Actor(), string.IsNullOrWhiteSpace(region) ? null : region, ct);
        return TypedResults.Ok(new PriceListResponse(tables.Select(RegionPricesResponse.From).ToList(),
            "Spot capacity is priced from EC2 spot price history when the environment's role may read it, else estimated from on-demand (marked estimated)."));
    }

    private static async Task<Created<RegionPricesResponse>> UploadPricesAsync(HttpContext http, PriceTableStore prices, string? region, string? asOf,
        string? source, CancellationToken ct)
    {
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var format = mediaType switch
        {
            CsvContentType or "text/plain" => "csv",
            "application/json" => "json",
            _ => throw new DomainValidationException("Content-Type", "send the table as text/csv (with ?region=&asOf=&source=) or application/json."),
        };
        DateOnly? date = null;
        if (format == "csv")
        {
            if (DateOnly.TryParseExact(asOf ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) date = d;
            else throw new DomainValidationException("asOf", "must be the date the prices were published, written yyyy-MM-dd.");
        }
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var content = await reader.ReadToEndAsync(ct);
        var table = await prices.UploadAsync(http.Actor(), new PriceTableUploadRequest(format, content, region, date, source), ct);
        var stored = (await prices.ListAsync(http.Actor(), table.Region, ct)).Single();
        return TypedResults.Created($"{PortalApi.V1}/prices?region={table.Region}", RegionPricesResponse.From(stored));
    }

    private static (CostQuery Query, string GroupByName) Parse(string? groupBy, string? from, string? to, string? team, string? granularity)
    {
        var errors = new ValidationErrors();
        var grouping = CostGrouping.Team;
        var name = groupBy ?? "team";
        if (groupBy is not null && !Enum.TryParse(groupBy, ignoreCase: true, out grouping) || !Enum.IsDefined(grouping))
            errors.Add("groupBy", "must be team, environment, cluster, nodePool or endpoint.");
        var grain = CostGranularity.Day;
        if (granularity is not null && !Enum.TryParse(granularity, ignoreCase: true, out grain) || !Enum.IsDefined(grain))
            errors.Add("granularity", "must be hour, day or month.");
        var fromValue = Instant(errors, "from", from);
        var toValue = Instant(errors, "to", to);
        if (team is not null && Slugs.Check(team, 1, 64) is { } problem) errors.Add("team", problem);
        errors.ThrowIfAny();
        return (new CostQuery(grouping, fromValue, toValue, team, grain), name);
    }

    private static DateTimeOffset? Instant(ValidationErrors errors, string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return value;
        errors.Add(field, "must be an ISO 8601 date or timestamp such as 2026-11-01 or 2026-11-01T00:00:00Z.");
        return null;
    }
}
