using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Catalog;
using Portal.Core.Common;
using Portal.Core.Costs.Prices;
using Portal.Core.Persistence;
using Portal.Core.Tokens;

namespace Portal.Core.Costs.Storage;

/// <summary>An upload as the admin sent it: CSV (region, date and source from the form) or JSON (all in the document).</summary>
public sealed record PriceTableUploadRequest(string Format, string Content, string? Region = null, DateOnly? AsOf = null, string? Source = null);

/// <summary>A region's table as the API shows it: where it came from, when, and whether it was uploaded.</summary>
public sealed record RegionPriceTable(PriceTable Table, bool Uploaded, DateTimeOffset? UploadedAt, string? UploadedBy);

/// <summary>
/// The price book backed by the database: the shipped us-east-1 table plus the admins' uploads (one per region, an
/// upload replaces the region's table, including the shipped one).
/// </summary>
public sealed class PriceTableStore(IDbContextFactory<PortalDbContext> contexts, InstanceTypeCatalog catalog, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The current price book (shipped table overridden by uploads).</summary>
    public async Task<PriceBook> LoadBookAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var uploads = await db.PriceTables.AsNoTracking().ToListAsync(ct);
        return new PriceBook(catalog, uploads.Select(Parsed));
    }

    /// <summary>Every region's table, or one region's (404 when the region has none). Any signed-in caller with the read scope.</summary>
    public async Task<IReadOnlyList<RegionPriceTable>> ListAsync(PortalActor actor, string? region, CancellationToken ct)
    {
        TeamAccess.RequireScope(actor, TokenScopes.Read);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var uploads = await db.PriceTables.AsNoTracking().ToListAsync(ct);
        var book = new PriceBook(catalog, uploads.Select(Parsed));
        var result = book.Tables.OrderBy(t => t.Region, StringComparer.Ordinal)
            .Where(t => region is null || t.Region == region)
            .Select(t => uploads.FirstOrDefault(u => u.Region == t.Region) is { } u
                ? new RegionPriceTable(t, true, u.UploadedAt, u.UploadedBy)
                : new RegionPriceTable(t, false, null, null))
            .ToList();
        if (region is not null && result.Count == 0) throw new DomainValidationException("region", PriceBook.MissingTable(region));
        return result;
    }

    /// <summary>
    /// Parses and stores an admin's table for a region (platform admins only), replacing the region's previous table,
    /// with an audit entry in the same transaction. Bad input: one validation problem naming every line and field.
    /// </summary>
    public async Task<PriceTable> UploadAsync(PortalActor actor, PriceTableUploadRequest request, CancellationToken ct)
    {
        TeamAccess.RequirePlatformAdmin(actor);
        TeamAccess.RequireScope(actor, TokenScopes.Admin);
        if (request.Content.Length > PriceTableUpload.MaxRawLength)
            throw new DomainValidationException("content", $"at most {PriceTableUpload.MaxRawLength / 1024 / 1024} MiB.");
        var format = request.Format.ToLowerInvariant();
        PriceTable table = format switch
        {
            "csv" => PriceTableParser.ParseCsv(request.Content, request.Region ?? "", request.AsOf ?? default, request.Source ?? ""),
            "json" => PriceTableParser.ParseJson(request.Content),
            _ => throw new DomainValidationException("format", "must be csv or json."),
        };

        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var row = await db.PriceTables.FirstOrDefaultAsync(p => p.Region == table.Region, ct);
        var before = row is null ? null : Summary(Parsed(row));
        if (row is null)
        {
            row = new PriceTableUpload
            {
                Region = table.Region, Source = "", Currency = table.Currency, Format = format, Raw = "", ParsedJson = "", UploadedBy = "",
            };
            db.PriceTables.Add(row);
        }
        row.AsOf = table.Source.AsOf;
        row.Source = table.Source.Name;
        row.Currency = table.Currency;
        row.Format = format;
        row.Raw = request.Content;
        row.ParsedJson = JsonSerializer.Serialize(table, Json);
        row.UploadedAt = now;
        row.UploadedBy = actor.Name.Length <= 200 ? actor.Name : actor.Name[..200];
        AuditLog.Record(db, actor, now, "prices.upload", "price-table", table.Region, null, before, Summary(table));
        await db.SaveOrConflictAsync($"The price table for {table.Region}", ct);
        return table;
    }

    private static object Summary(PriceTable t) => new
    {
        t.Region, source = t.Source.Name, asOf = t.Source.AsOf, instanceTypes = t.OnDemandHourly.Count,
        t.ControlPlaneStandardHourly, t.ControlPlaneExtendedHourly, t.EbsGp3PerGbMonth,
    };

    private static PriceTable Parsed(PriceTableUpload upload) =>
        JsonSerializer.Deserialize<PriceTable>(upload.ParsedJson, Json)
        ?? throw new InvalidOperationException($"The stored price table for {upload.Region} is unreadable.");
}
