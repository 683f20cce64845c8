using System.Text;

namespace Portal.Core.Endpoints.Promql;

internal enum TokenKind
{
    End,
    Identifier,   // metric names, label names, function and keyword names (may contain ':')
    Number,
    Duration,
    String,
    LeftParen, RightParen, LeftBrace, RightBrace, LeftBracket, RightBracket,
    Comma, Colon, At,
    // operators
    Plus, Minus, Star, Slash, Percent, Caret,
    Equal,        // == (comparison)
    NotEqual,     // !=
    Less, LessEqual, Greater, GreaterEqual,
    Assign,       // = (label matcher)
    RegexMatch,   // =~
    RegexNotMatch // !~
}

internal readonly record struct Token(TokenKind Kind, string Text, int Position)
{
    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of query",
        TokenKind.String => $"string {Text}",
        TokenKind.Number => $"number {Text}",
        TokenKind.Duration => $"duration {Text}",
        TokenKind.Identifier => $"'{Text}'",
        _ => $"'{Text}'",
    };
}

/// <summary>Thrown inside the parser; <see cref="PromqlSyntax.Check"/> turns it into a <see cref="PromqlError"/>.</summary>
internal sealed class PromqlParseException(string message, int position) : Exception(message)
{
    public int Position { get; } = position;
}

/// <summary>
/// Splits a PromQL expression into tokens. Durations (<c>5m</c>, <c>1h30m</c>) are told from numbers by their unit;
/// comments (<c># ...</c>) run to the end of the line, as in Prometheus.
/// </summary>
internal static class PromqlLexer
{
    private static readonly string[] DurationUnits = ["ms", "s", "m", "h", "d", "w", "y"];

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        // Inside [...] a ':' separates a subquery's range and step; elsewhere it may start a recording-rule name (:a:b).
        var inBrackets = false;
        while (true)
        {
            while (i < text.Length)
            {
                if (char.IsWhiteSpace(text[i])) i++;
                else if (text[i] == '#') { while (i < text.Length && text[i] != '\n') i++; }
                else break;
            }
            if (i >= text.Length) { tokens.Add(new Token(TokenKind.End, "", i)); return tokens; }

            var start = i;
            var c = text[i];
            if (c == ':' && inBrackets)
            {
                tokens.Add(new Token(TokenKind.Colon, ":", start));
                i++;
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_' || c == ':')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or ':')) i++;
                tokens.Add(new Token(TokenKind.Identifier, text[start..i], start));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                tokens.Add(NumberOrDuration(text, ref i));
                continue;
            }
            if (c is '"' or '\'' or '`')
            {
                tokens.Add(new Token(TokenKind.String, ReadString(text, ref i), start));
                continue;
            }
            var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
            (TokenKind Kind, int Length)? op = two switch
            {
                "==" => (TokenKind.Equal, 2),
                "!=" => (TokenKind.NotEqual, 2),
                "<=" => (TokenKind.LessEqual, 2),
                ">=" => (TokenKind.GreaterEqual, 2),
                "=~" => (TokenKind.RegexMatch, 2),
                "!~" => (TokenKind.RegexNotMatch, 2),
                _ => c switch
                {
                    '(' => (TokenKind.LeftParen, 1),
                    ')' => (TokenKind.RightParen, 1),
                    '{' => (TokenKind.LeftBrace, 1),
                    '}' => (TokenKind.RightBrace, 1),
                    '[' => (TokenKind.LeftBracket, 1),
                    ']' => (TokenKind.RightBracket, 1),
                    ',' => (TokenKind.Comma, 1),
                    '@' => (TokenKind.At, 1),
                    '+' => (TokenKind.Plus, 1),
                    '-' => (TokenKind.Minus, 1),
                    '*' => (TokenKind.Star, 1),
                    '/' => (TokenKind.Slash, 1),
                    '%' => (TokenKind.Percent, 1),
                    '^' => (TokenKind.Caret, 1),
                    '<' => (TokenKind.Less, 1),
                    '>' => (TokenKind.Greater, 1),
                    '=' => (TokenKind.Assign, 1),
                    _ => null,
                },
            };
            if (op is not { } found)
                throw new PromqlParseException(c == '!' ? "'!' must be followed by '=' or '~'" : $"unexpected character '{c}'", start);
            tokens.Add(new Token(found.Kind, text.Substring(i, found.Length), start));
            if (found.Kind == TokenKind.LeftBracket) inBrackets = true;
            else if (found.Kind == TokenKind.RightBracket) inBrackets = false;
            i += found.Length;
        }
    }

    private static Token NumberOrDuration(string text, ref int i)
    {
        var start = i;
        if (text[i] == '0' && i + 1 < text.Length && text[i + 1] is 'x' or 'X')
        {
            i += 2;
            var digits = i;
            while (i < text.Length && char.IsAsciiHexDigit(text[i])) i++;
            if (i == digits) throw new PromqlParseException("a hexadecimal number needs digits after '0x'", start);
            return new Token(TokenKind.Number, text[start..i], start);
        }
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        // A digit run followed by a unit is a duration: 5m, 1h30m, 250ms.
        if (i < text.Length && char.IsAsciiLetter(text[i]) && text[i] is not ('e' or 'E'))
        {
            i = start;
            var any = false;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                // "ms" is tried before "m", so 250ms is milliseconds and 1m30s minutes then seconds.
                var at = i;
                var unit = DurationUnits.FirstOrDefault(u => string.CompareOrdinal(text, at, u, 0, u.Length) == 0);
                if (unit is null)
                {
                    var end = i;
                    while (end < text.Length && char.IsAsciiLetterOrDigit(text[end])) end++;
                    throw new PromqlParseException($"'{text[start..end]}' is not a duration: use a number with a unit (ms, s, m, h, d, w, y), e.g. 5m", start);
                }
                i += unit.Length;
                any = true;
            }
            if (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] == '.'))
                throw new PromqlParseException($"'{text[start..(i + 1)]}' is not a duration: use a number with a unit (ms, s, m, h, d, w, y), e.g. 5m", start);
            if (!any) throw new PromqlParseException("a duration needs a number", start);
            return new Token(TokenKind.Duration, text[start..i], start);
        }
        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        }
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            var mark = i;
            i++;
            if (i < text.Length && text[i] is '+' or '-') i++;
            var digits = i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i == digits) throw new PromqlParseException($"'{text[start..mark]}e' needs an exponent", start);
        }
        if (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] == '_'))
            throw new PromqlParseException($"unexpected '{text[i]}' after the number {text[start..i]}", i);
        return new Token(TokenKind.Number, text[start..i], start);
    }

    private static string ReadString(string text, ref int i)
    {
        var quote = text[i];
        var start = i;
        i++;
        var value = new StringBuilder();
        while (true)
        {
            if (i >= text.Length || (quote != '`' && text[i] == '\n'))
                throw new PromqlParseException($"unterminated string: the string starting here needs a closing {quote}", start);
            var c = text[i];
            if (c == quote) { i++; break; }
            if (c == '\\' && quote != '`')
            {
                if (i + 1 >= text.Length) throw new PromqlParseException("unterminated string: a '\\' ends the query", start);
                var next = text[i + 1];
                if (next is 'a' or 'b' or 'f' or 'n' or 'r' or 't' or 'v' or '\\' or '"' or '\'' or 'x' or 'u' or 'U' or >= '0' and <= '7')
                {
                    value.Append(c).Append(next);
                    i += 2;
                    continue;
                }
                throw new PromqlParseException($"unknown escape sequence '\\{next}' in a string (write '\\\\{next}' for a literal backslash, as a regex often needs)", i);
            }
            value.Append(c);
            i++;
        }
        return text[start..i];
    }
}
