using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Common;
using Portal.Core.Persistence;
using Portal.Core.Tokens;

namespace Portal.Web.Startup;

/// <summary>
/// Operator commands run from the same binary and configuration as the portal, e.g.
/// <c>dotnet run --project src/Portal.Web -- tokens create --user SUBJECT --scopes admin</c>.
/// </summary>
public static class PortalCommands
{
    private const string Usage = """
        Usage: Portal.Web tokens create --user <oidc-subject> [--scopes read,write,admin] [--name NAME] [--days N]
        Mints an access token for a user who has signed in at least once, and prints its secret once.

               Portal.Web costs meter --from <ISO 8601> --to <ISO 8601>
        Meters every whole UTC hour starting in [from, to) that has ended (re-metering replaces an hour), from the
        clusters' state observed now, then evaluates budgets and sends their notifications.

        Configuration keys can follow as for the portal itself (--Database:SqlitePath=/tmp/portal.db), so a command
        opens the same database and emulator state as the portal it serves.
        """;

    public static async Task<bool> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("tokens" or "costs")) return false;
        var (commandArgs, configuration) = SplitConfiguration(args[1..]);
        Environment.ExitCode = args[0] == "tokens" ? await RunTokensAsync(commandArgs, configuration) : await RunCostsAsync(commandArgs, configuration);
        return true;
    }

    /// <summary>
    /// Separates configuration overrides (<c>--Section:Key=value</c> or <c>--Section:Key value</c>: a colon in the name)
    /// from the command's own options, which have plain names.
    /// </summary>
    internal static (string[] Command, string[] Configuration) SplitConfiguration(string[] args)
    {
        var command = new List<string>();
        var configuration = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i].Split('=', 2)[0];
            if (!name.StartsWith("--", StringComparison.Ordinal) || !name.Contains(':', StringComparison.Ordinal))
            {
                command.Add(args[i]);
                continue;
            }
            configuration.Add(args[i]);
            if (!args[i].Contains('=', StringComparison.Ordinal) && i + 1 < args.Length) configuration.Add(args[++i]);
        }
        return ([.. command], [.. configuration]);
    }

    private static async Task<int> RunTokensAsync(string[] args, string[] configuration)
    {
        if (args.Length == 0 || args[0] != "create") { Console.Error.WriteLine(Usage); return 2; }
        var options = ParseOptions(args[1..]);
        if (options is null || !options.TryGetValue("user", out var subject)) { Console.Error.WriteLine(Usage); return 2; }
        if (!TryParseScopes(options.GetValueOrDefault("scopes", "read,write,admin"), out var scopes))
        {
            Console.Error.WriteLine("--scopes must be a comma-separated list of read, write, admin.");
            return 2;
        }

        // Configuration comes from appsettings and the environment as usual, plus the overrides given after the command.
        var builder = Host.CreateApplicationBuilder(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddPortalCore();
        using var host = builder.Build();
        var lifetimes = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TokenOptions>>().Value;
        if (!int.TryParse(options.GetValueOrDefault("days", lifetimes.DefaultLifetimeDays.ToString()), out var days) || days < 1)
        {
            Console.Error.WriteLine($"--days must be a whole number from 1 to {lifetimes.MaxLifetimeDays}.");
            return 2;
        }
        var ct = CancellationToken.None;
        var contexts = host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await DatabaseMigrator.MigrateAsync(contexts, host.Services.GetRequiredService<ILogger<DatabaseMarker>>(), ct);
        try
        {
            var created = await host.Services.GetRequiredService<TokenService>()
                .CreateForSubjectAsync(subject, options.GetValueOrDefault("name", "operator"), scopes, days, ct);
            Console.WriteLine($"Created token '{created.Token.Name}' ({created.Token.Scopes}) expiring {created.Token.ExpiresAt:u}.");
            Console.WriteLine("Its secret is shown only now:");
            Console.WriteLine(created.Secret);
            return 0;
        }
        catch (PortalException e)
        {
            Console.Error.WriteLine(e is DomainValidationException v ? string.Join(" ", v.Errors.SelectMany(x => x.Value)) : e.Message);
            return 1;
        }
    }

    private static async Task<int> RunCostsAsync(string[] args, string[] configuration)
    {
        if (args.Length == 0 || args[0] != "meter") { Console.Error.WriteLine(Usage); return 2; }
        var options = ParseOptions(args[1..]);
        if (options is null
            || !DateTimeOffset.TryParse(options.GetValueOrDefault("from"), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var from)
            || !DateTimeOffset.TryParse(options.GetValueOrDefault("to"), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var to)
            || to <= from)
        {
            Console.Error.WriteLine("--from and --to must be ISO 8601 instants (UTC unless an offset is given), --to after --from.");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        // The portal's own database and cloud wiring (in the embedded mode: the emulator with its state file), on a
        // throwaway loopback port so a running portal's port is not needed. No Hangfire: the command does the job's work itself.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = configuration });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddPortalDatabase();
        builder.AddPortalCloud();
        await using var app = builder.Build();
        await app.StartAsync();
        try
        {
            var ct = CancellationToken.None;
            var run = await app.Services.GetRequiredService<Portal.Core.Costs.Metering.CostMetering>().MeterRangeAsync(from, to, ct);
            var budgets = app.Services.GetRequiredService<Portal.Core.Costs.Budgets.BudgetService>();
            var crossings = await budgets.EvaluateAsync(ct);
            var delivered = await budgets.DeliverPendingAsync(ct);
            Console.WriteLine($"Metered {run.Hours.Count} hour(s){(run.Hours.Count > 0 ? $" from {run.Hours[0]:u} to {run.Hours[^1]:u}" : "")}: {run.Lines} cost line(s).");
            foreach (var skipped in run.Skipped) Console.WriteLine($"  skipped {skipped}");
            Console.WriteLine($"Budgets: {crossings} new notification(s), {delivered} delivered.");
            return 0;
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static Dictionary<string, string>? ParseOptions(string[] args)
    {
        var result = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--") || i + 1 >= args.Length) return null;
            result[args[i][2..]] = args[i + 1];
        }
        return result;
    }

    private static bool TryParseScopes(string text, out TokenScopes scopes)
    {
        scopes = TokenScopes.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<TokenScopes>(part, ignoreCase: true, out var s) || s == TokenScopes.None) return false;
            scopes |= s;
        }
        return scopes != TokenScopes.None;
    }

    /// <summary>Category for the command's log lines.</summary>
    private sealed class DatabaseMarker;
}
