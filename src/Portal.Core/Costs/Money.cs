using System.Globalization;

namespace Portal.Core.Costs;

/// <summary>
/// An amount of money in one currency, as a <see cref="decimal"/>. Products of prices and quantities are exact; the
/// only divisions (a month's storage spread over its hours, a GPU pool split by shares) are held to
/// <see cref="LineScale"/> decimal places (<see cref="AtLineScale"/>), so that sums of lines are exact in any order
/// and a total always equals the sum of its parts. Rounding to cents happens only for display
/// (<see cref="ToDisplayString"/>, <see cref="CentRounding"/>).
/// </summary>
public readonly record struct Money(decimal Amount, string Currency)
{
    /// <summary>Ten decimal places: a ten-billionth of a dollar, far below anything shown, far above decimal's 28 digits.</summary>
    public const int LineScale = 10;

    /// <summary>The only currency AWS bills the platform's accounts in; price tables in other currencies are refused.</summary>
    public const string Usd = "USD";

    public static Money Zero(string currency = Usd) => new(0m, currency);

    public static Money UsdOf(decimal amount) => new(amount, Usd);

    public static Money operator +(Money a, Money b) => new(a.Amount + b.Amount, SameCurrency(a, b));

    public static Money operator -(Money a, Money b) => new(a.Amount - b.Amount, SameCurrency(a, b));

    public static Money operator *(Money a, decimal factor) => new(a.Amount * factor, a.Currency);

    public static Money operator *(decimal factor, Money a) => a * factor;

    public static Money operator /(Money a, decimal divisor) => new(a.Amount / divisor, a.Currency);

    /// <summary>The amount held to <see cref="LineScale"/> places (banker's rounding, so no drift in one direction).</summary>
    public Money AtLineScale() => new(Math.Round(Amount, LineScale, MidpointRounding.ToEven), Currency);

    /// <summary>Rounded to cents, half away from zero (how invoices round), for a single figure on its own.</summary>
    public decimal Cents => Math.Round(Amount, 2, MidpointRounding.AwayFromZero);

    /// <summary>"1,234.57 USD": the only place a single amount is rounded.</summary>
    public string ToDisplayString() => $"{Cents.ToString("N2", CultureInfo.InvariantCulture)} {Currency}";

    public override string ToString() => $"{Amount.ToString(CultureInfo.InvariantCulture)} {Currency}";

    public static Money Sum(IEnumerable<Money> amounts, string currency = Usd) =>
        amounts.Aggregate(Zero(currency), (total, next) => total + next);

    private static string SameCurrency(Money a, Money b) =>
        // A default(Money) has no currency yet: it adopts the other side's, so Sum over an empty start works.
        a.Currency is null ? b.Currency : b.Currency is null || a.Currency == b.Currency ? a.Currency
            : throw new InvalidOperationException($"Cannot combine {a.Currency} and {b.Currency}: the portal does not convert currencies.");
}

/// <summary>
/// Rounds a set of parts to cents so that the rounded parts add up exactly to the rounded total ("largest
/// remainder"): each part is rounded down, then the cents still missing go to the parts with the largest remainders.
/// A table of costs per endpoint then always sums to the team's total shown next to it, to the cent.
/// </summary>
public static class CentRounding
{
    public static IReadOnlyList<decimal> ToCents(IReadOnlyList<decimal> parts)
    {
        if (parts.Count == 0) return [];
        var total = Math.Round(parts.Sum(), 2, MidpointRounding.AwayFromZero);
        var floors = parts.Select(p => Math.Floor(p * 100m) / 100m).ToArray();
        // Each floor loses less than a cent and the total moves by at most half a cent, so 0 <= missing <= parts.
        var missingCents = (int)((total - floors.Sum()) * 100m);
        var order = Enumerable.Range(0, parts.Count).OrderByDescending(i => parts[i] - floors[i]).ThenBy(i => i).ToArray();
        for (var k = 0; k < missingCents; k++) floors[order[k]] += 0.01m;
        return floors;
    }
}
