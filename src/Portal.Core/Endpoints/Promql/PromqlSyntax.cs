using System.Text;
using System.Text.RegularExpressions;

namespace Portal.Core.Endpoints.Promql;

/// <summary>The type a PromQL expression evaluates to.</summary>
public enum PromqlType
{
    Scalar,
    InstantVector,
    RangeVector,
    String,
}

/// <summary>A syntax or type error at a position of the query (0-based offset; 1-based line and column for people).</summary>
public sealed record PromqlError(string Message, int Offset, int Line, int Column)
{
    public override string ToString() => $"{Message} (at line {Line}, column {Column})";
}

/// <summary>
/// A syntax and type checker for the PromQL people write in scaling triggers and dashboards: selectors with label
/// matchers, range vectors, offsets and @, functions, aggregations with by/without, binary operators with
/// Prometheus's precedence and vector matching, numbers, strings, durations and subqueries. It checks; it does not
/// evaluate. Our own recursive-descent parser over <see cref="PromqlLexer"/>'s tokens, so a query is refused with a
/// message and a position before KEDA polls it and logs an error nobody reads.
/// </summary>
public static class PromqlSyntax
{
    /// <summary>Null when the query parses; else the first error.</summary>
    public static PromqlError? Check(string query) => TryParse(query, out _, out var error) ? null : error;

    public static bool TryParse(string query, out PromqlType type, out PromqlError? error) => TryParse(query, out type, out error, out _);

    /// <summary>The metric names the query selects (by name or by <c>__name__="..."</c>), or null when it does not parse.</summary>
    public static IReadOnlyList<string>? MetricNames(string query) => TryParse(query, out _, out _, out var names) ? names : null;

    private static bool TryParse(string query, out PromqlType type, out PromqlError? error, out IReadOnlyList<string> metricNames)
    {
        ArgumentNullException.ThrowIfNull(query);
        type = default;
        error = null;
        metricNames = [];
        try
        {
            if (string.IsNullOrWhiteSpace(query)) throw new PromqlParseException("the query is empty", 0);
            var parser = new Parser(PromqlLexer.Tokenize(query));
            type = parser.ParseQuery();
            metricNames = parser.MetricNames;
            return true;
        }
        catch (PromqlParseException e)
        {
            var (line, column) = LineAndColumn(query, e.Position);
            error = new PromqlError(e.Message, e.Position, line, column);
            return false;
        }
    }

    private static (int Line, int Column) LineAndColumn(string text, int offset)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < Math.Min(offset, text.Length); i++)
        {
            if (text[i] != '\n') continue;
            line++;
            lineStart = i + 1;
        }
        return (line, offset - lineStart + 1);
    }

    private enum Arg { Scalar, Vector, Range, String }

    /// <param name="Optional">How many of the trailing <paramref name="Args"/> may be left out.</param>
    /// <param name="Variadic">The last argument may repeat.</param>
    private sealed record Function(Arg[] Args, PromqlType Returns, int Optional = 0, bool Variadic = false);

    private static readonly Dictionary<string, Function> Functions = BuildFunctions();

    private static Dictionary<string, Function> BuildFunctions()
    {
        const PromqlType V = PromqlType.InstantVector;
        var f = new Dictionary<string, Function>(StringComparer.Ordinal);
        foreach (var name in new[]
                 {
                     "abs", "absent", "ceil", "exp", "floor", "ln", "log10", "log2", "sgn", "sort", "sort_desc", "sqrt", "timestamp",
                     "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad",
                     "histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev", "histogram_stdvar",
                 })
            f[name] = new([Arg.Vector], V);
        foreach (var name in new[]
                 {
                     "rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets", "absent_over_time",
                     "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "stddev_over_time",
                     "stdvar_over_time", "last_over_time", "present_over_time", "mad_over_time",
                 })
            f[name] = new([Arg.Range], V);
        foreach (var name in new[] { "day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year" })
            f[name] = new([Arg.Vector], V, Optional: 1);
        f["clamp"] = new([Arg.Vector, Arg.Scalar, Arg.Scalar], V);
        f["clamp_max"] = new([Arg.Vector, Arg.Scalar], V);
        f["clamp_min"] = new([Arg.Vector, Arg.Scalar], V);
        f["round"] = new([Arg.Vector, Arg.Scalar], V, Optional: 1);
        f["histogram_quantile"] = new([Arg.Scalar, Arg.Vector], V);
        f["histogram_fraction"] = new([Arg.Scalar, Arg.Scalar, Arg.Vector], V);
        f["quantile_over_time"] = new([Arg.Scalar, Arg.Range], V);
        f["predict_linear"] = new([Arg.Range, Arg.Scalar], V);
        f["holt_winters"] = new([Arg.Range, Arg.Scalar, Arg.Scalar], V);
        f["double_exponential_smoothing"] = new([Arg.Range, Arg.Scalar, Arg.Scalar], V);
        f["label_replace"] = new([Arg.Vector, Arg.String, Arg.String, Arg.String, Arg.String], V);
        f["label_join"] = new([Arg.Vector, Arg.String, Arg.String, Arg.String], V, Optional: 1, Variadic: true);
        f["sort_by_label"] = new([Arg.Vector, Arg.String], V, Optional: 1, Variadic: true);
        f["sort_by_label_desc"] = new([Arg.Vector, Arg.String], V, Optional: 1, Variadic: true);
        f["info"] = new([Arg.Vector, Arg.Vector], V, Optional: 1);
        f["scalar"] = new([Arg.Vector], PromqlType.Scalar);
        f["vector"] = new([Arg.Scalar], V);
        f["time"] = new([], PromqlType.Scalar);
        f["pi"] = new([], PromqlType.Scalar);
        return f;
    }

    /// <summary>Aggregation operators; the value says which take a first parameter, and of which type.</summary>
    private static readonly Dictionary<string, Arg?> Aggregations = new(StringComparer.Ordinal)
    {
        ["sum"] = null, ["avg"] = null, ["count"] = null, ["min"] = null, ["max"] = null, ["group"] = null,
        ["stddev"] = null, ["stdvar"] = null,
        ["topk"] = Arg.Scalar, ["bottomk"] = Arg.Scalar, ["limitk"] = Arg.Scalar, ["limit_ratio"] = Arg.Scalar,
        ["quantile"] = Arg.Scalar, ["count_values"] = Arg.String,
    };

    /// <summary>Words that cannot start an operand: a metric with this name must be written as {__name__="..."}.</summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless", "atan2",
    };

    private sealed class Parser(List<Token> tokens)
    {
        private int _next;

        public List<string> MetricNames { get; } = [];

        private Token Peek => tokens[_next];

        private Token Take() => tokens[_next++];

        private bool At(TokenKind kind) => Peek.Kind == kind;

        private bool AtWord(string word) => Peek.Kind == TokenKind.Identifier && string.Equals(Peek.Text, word, StringComparison.Ordinal);

        private Token Expect(TokenKind kind, string what)
        {
            if (!At(kind)) throw Error(Peek, $"expected {what} but found {Describe(Peek)}");
            return Take();
        }

        private static PromqlParseException Error(Token at, string message) => new(message, at.Position);

        private static string Describe(Token token) => token.ToString();

        public PromqlType ParseQuery()
        {
            var (type, _) = ParseExpression();
            if (!At(TokenKind.End))
                throw Error(Peek, $"unexpected {Describe(Peek)} after a complete expression (is an operator or a comma missing?)");
            return type;
        }

        /// <summary>The expression and where it starts, for error positions.</summary>
        private (PromqlType Type, int Start) ParseExpression() => ParseBinary(0);

        // Precedence, lowest first: or; and unless; comparisons; + -; * / % atan2; ^ (right-associative).
        private static int Precedence(Token t) => t.Kind switch
        {
            TokenKind.Identifier when t.Text == "or" => 1,
            TokenKind.Identifier when t.Text is "and" or "unless" => 2,
            TokenKind.Equal or TokenKind.NotEqual or TokenKind.Less or TokenKind.LessEqual or TokenKind.Greater or TokenKind.GreaterEqual => 3,
            TokenKind.Plus or TokenKind.Minus => 4,
            TokenKind.Star or TokenKind.Slash or TokenKind.Percent => 5,
            TokenKind.Identifier when t.Text == "atan2" => 5,
            TokenKind.Caret => 6,
            _ => 0,
        };

        private (PromqlType Type, int Start) ParseBinary(int minimum)
        {
            var (left, start) = ParseUnary();
            while (true)
            {
                var op = Peek;
                var precedence = Precedence(op);
                if (precedence == 0 || precedence <= minimum) break;
                Take();
                var comparison = precedence == 3;
                var set = precedence is 1 or 2;
                var returnBool = false;
                if (AtWord("bool"))
                {
                    if (!comparison) throw Error(Peek, $"'bool' only modifies comparison operators (==, !=, <, <=, >, >=), not '{op.Text}'");
                    Take();
                    returnBool = true;
                }
                var matching = ParseVectorMatching(op, set);
                // ^ is right-associative: its right side may hold another ^ of the same precedence.
                var (right, rightStart) = ParseBinary(precedence == 6 ? precedence - 1 : precedence);
                left = CombineTypes(op, left, start, right, rightStart, comparison, set, returnBool, matching);
            }
            return (left, start);
        }

        private bool ParseVectorMatching(Token op, bool set)
        {
            var matching = false;
            if (AtWord("on") || AtWord("ignoring"))
            {
                Take();
                ParseLabelList("on/ignoring");
                matching = true;
                if (AtWord("group_left") || AtWord("group_right"))
                {
                    var group = Take();
                    if (set) throw Error(group, $"'{group.Text}' cannot be used with the set operator '{op.Text}': set operators match many-to-many already");
                    if (At(TokenKind.LeftParen)) ParseLabelList(group.Text);
                }
            }
            else if (AtWord("group_left") || AtWord("group_right"))
                throw Error(Peek, $"'{Peek.Text}' needs on(...) or ignoring(...) before it");
            return matching;
        }

        private static PromqlType CombineTypes(Token op, PromqlType left, int leftStart, PromqlType right, int rightStart,
            bool comparison, bool set, bool returnBool, bool matching)
        {
            foreach (var (type, at) in new[] { (left, leftStart), (right, rightStart) })
            {
                if (type == PromqlType.RangeVector)
                    throw new PromqlParseException($"'{op.Text}' cannot take a range vector: wrap it in a function such as rate(...) or avg_over_time(...)", at);
                if (type == PromqlType.String)
                    throw new PromqlParseException($"'{op.Text}' cannot take a string", at);
            }
            var scalars = left == PromqlType.Scalar && right == PromqlType.Scalar;
            if (set && (left == PromqlType.Scalar || right == PromqlType.Scalar))
                throw new PromqlParseException($"the set operator '{op.Text}' works between instant vectors only", left == PromqlType.Scalar ? leftStart : rightStart);
            if (matching && (left == PromqlType.Scalar || right == PromqlType.Scalar))
                throw new PromqlParseException("on(...)/ignoring(...) match vectors with vectors; one side here is a scalar", op.Position);
            if (comparison && scalars && !returnBool)
                throw new PromqlParseException($"a comparison between two scalars needs the bool modifier: '{op.Text} bool'", op.Position);
            return scalars ? PromqlType.Scalar : PromqlType.InstantVector;
        }

        private (PromqlType Type, int Start) ParseUnary()
        {
            if (At(TokenKind.Minus) || At(TokenKind.Plus))
            {
                var sign = Take();
                // Unary minus binds looser than ^ (-2^2 is -4) and tighter than *.
                var (operand, start) = ParseBinary(5);
                if (operand is not (PromqlType.Scalar or PromqlType.InstantVector))
                    throw new PromqlParseException($"unary '{sign.Text}' works on scalars and instant vectors only", start);
                return (operand, sign.Position);
            }
            return ParsePostfix();
        }

        private (PromqlType Type, int Start) ParsePostfix()
        {
            var start = Peek.Position;
            var (type, selector) = ParsePrimary();
            var kind = selector ? Modifiable.Selector : Modifiable.None;
            bool offset = false, at = false;
            while (true)
            {
                if (At(TokenKind.LeftBracket))
                {
                    var bracket = Take();
                    if (At(TokenKind.Number)) throw Error(Peek, $"a range needs a unit: [{Peek.Text}s] or [{Peek.Text}m], not [{Peek.Text}]");
                    var range = Expect(TokenKind.Duration, "a duration such as 5m");
                    if (DurationIsZero(range.Text)) throw Error(range, "a range must be longer than 0");
                    if (At(TokenKind.Colon))
                    {
                        Take();
                        if (At(TokenKind.Duration))
                        {
                            var step = Take();
                            if (DurationIsZero(step.Text)) throw Error(step, "a subquery step must be longer than 0");
                        }
                        Expect(TokenKind.RightBracket, "']' to close the subquery");
                        if (type != PromqlType.InstantVector)
                            throw Error(bracket, $"a subquery [range:step] needs an instant vector before it, not {Article(Name(type))}");
                        if (offset || at) throw Error(bracket, "write offset and @ after the subquery's brackets, not before");
                        type = PromqlType.RangeVector;
                        kind = Modifiable.Subquery;
                        continue;
                    }
                    Expect(TokenKind.RightBracket, "']' to close the range (or ':' for a subquery)");
                    if (kind != Modifiable.Selector)
                        throw Error(bracket, type == PromqlType.RangeVector
                            ? "this is already a range vector: a second [range] is not allowed"
                            : "a [range] follows a metric selector only, e.g. http_requests_total[5m]; for an expression use a subquery such as (expr)[5m:1m]");
                    if (offset || at) throw Error(bracket, "write the [range] before offset and @: metric[5m] offset 1h");
                    type = PromqlType.RangeVector;
                    kind = Modifiable.Range;
                    continue;
                }
                if (AtWord("offset"))
                {
                    var word = Take();
                    if (kind == Modifiable.None) throw Error(word, "offset modifies a metric selector, a range or a subquery only");
                    if (offset) throw Error(word, "offset may appear only once");
                    if (At(TokenKind.Minus) || At(TokenKind.Plus)) Take();
                    Expect(TokenKind.Duration, "a duration after offset, such as 1h");
                    offset = true;
                    continue;
                }
                if (At(TokenKind.At))
                {
                    var sign = Take();
                    if (kind == Modifiable.None) throw Error(sign, "@ modifies a metric selector, a range or a subquery only");
                    if (at) throw Error(sign, "@ may appear only once");
                    if (AtWord("start") || AtWord("end"))
                    {
                        Take();
                        Expect(TokenKind.LeftParen, "'(' after start/end");
                        Expect(TokenKind.RightParen, "')': start() and end() take no arguments");
                    }
                    else
                    {
                        if (At(TokenKind.Minus) || At(TokenKind.Plus)) Take();
                        Expect(TokenKind.Number, "a Unix timestamp, start() or end() after @");
                    }
                    at = true;
                    continue;
                }
                return (type, start);
            }
        }

        private enum Modifiable { None, Selector, Range, Subquery }

        private static string Article(string noun) => ("aeiou".Contains(noun[0]) ? "an " : "a ") + noun;

        private static string Name(PromqlType type) => type switch
        {
            PromqlType.Scalar => "scalar",
            PromqlType.InstantVector => "instant vector",
            PromqlType.RangeVector => "range vector",
            _ => "string",
        };

        /// <summary>The operand and whether it is a plain vector selector (which may take a [range]).</summary>
        private (PromqlType Type, bool Selector) ParsePrimary()
        {
            var token = Peek;
            switch (token.Kind)
            {
                case TokenKind.Number:
                    Take();
                    return (PromqlType.Scalar, false);
                case TokenKind.String:
                    Take();
                    return (PromqlType.String, false);
                case TokenKind.Duration:
                    throw Error(token, $"a duration ({token.Text}) belongs in [brackets] or after offset; as a number write it in seconds");
                case TokenKind.LeftParen:
                {
                    Take();
                    if (At(TokenKind.RightParen)) throw Error(Peek, "empty parentheses: put an expression inside");
                    var (inner, _) = ParseExpression();
                    Expect(TokenKind.RightParen, "')'");
                    return (inner, false);
                }
                case TokenKind.LeftBrace:
                    ParseMatchers(token, hasName: false);
                    return (PromqlType.InstantVector, true);
                case TokenKind.Identifier:
                    return ParseIdentifier();
                case TokenKind.End:
                    throw Error(token, "the query ends where an expression was expected");
                default:
                    throw Error(token, $"unexpected {Describe(token)} where an expression was expected");
            }
        }

        private (PromqlType Type, bool Selector) ParseIdentifier()
        {
            var name = Take();
            var next = Peek;
            if (name.Text.Equals("inf", StringComparison.OrdinalIgnoreCase) || name.Text.Equals("nan", StringComparison.OrdinalIgnoreCase))
                return (PromqlType.Scalar, false);
            if (Aggregations.TryGetValue(name.Text, out var parameter) && (next.Kind == TokenKind.LeftParen || AtWord("by") || AtWord("without")))
                return (ParseAggregation(name, parameter), false);
            if (next.Kind == TokenKind.LeftParen)
            {
                if (!Functions.TryGetValue(name.Text, out var function))
                    throw Error(name, $"unknown function '{name.Text}'{Suggestion(name.Text)}");
                return (ParseCall(name, function), false);
            }
            if (Keywords.Contains(name.Text))
                throw Error(name, $"unexpected keyword '{name.Text}' where an expression was expected");
            if (Aggregations.ContainsKey(name.Text) || Functions.ContainsKey(name.Text))
                throw Error(name, $"'{name.Text}' is a {(Aggregations.ContainsKey(name.Text) ? "aggregation" : "function")} and needs parentheses: {name.Text}(...)");
            MetricNames.Add(name.Text);
            if (At(TokenKind.LeftBrace)) ParseMatchers(Peek, hasName: true);
            return (PromqlType.InstantVector, true);
        }

        private PromqlType ParseAggregation(Token op, Arg? parameter)
        {
            var grouped = false;
            if (AtWord("by") || AtWord("without"))
            {
                Take();
                ParseLabelList(op.Text);
                grouped = true;
            }
            var open = Expect(TokenKind.LeftParen, $"'(' after {op.Text}");
            if (parameter is { } kind)
            {
                var (type, at) = ParseExpression();
                CheckArgument(op.Text, 1, kind, type, at);
                Expect(TokenKind.Comma, $"',' and then the vector: {op.Text}({(kind == Arg.String ? "\"label\"" : "5")}, expr)");
            }
            if (At(TokenKind.RightParen)) throw Error(Peek, $"{op.Text}() needs an instant vector to aggregate");
            var (vector, start) = ParseExpression();
            CheckArgument(op.Text, parameter is null ? 1 : 2, Arg.Vector, vector, start);
            if (At(TokenKind.Comma)) throw Error(Peek, $"{op.Text}() takes {(parameter is null ? "one argument" : "two arguments")}");
            Expect(TokenKind.RightParen, $"')' to close {op.Text}( opened at column {open.Position + 1}");
            if (AtWord("by") || AtWord("without"))
            {
                var clause = Take();
                if (grouped) throw Error(clause, $"{op.Text} already has a by/without clause");
                ParseLabelList(op.Text);
            }
            return PromqlType.InstantVector;
        }

        private PromqlType ParseCall(Token name, Function function)
        {
            Take(); // (
            var count = 0;
            if (!At(TokenKind.RightParen))
            {
                while (true)
                {
                    count++;
                    var (type, at) = ParseExpression();
                    var max = function.Variadic ? int.MaxValue : function.Args.Length;
                    if (count > max) throw new PromqlParseException(ArityMessage(name.Text, function), at);
                    var expected = function.Args[Math.Min(count, function.Args.Length) - 1];
                    CheckArgument(name.Text + "()", count, expected, type, at);
                    if (!At(TokenKind.Comma)) break;
                    Take();
                }
            }
            var close = Expect(TokenKind.RightParen, $"')' or ',' in the arguments of {name.Text}()");
            if (count < function.Args.Length - function.Optional) throw Error(close, ArityMessage(name.Text, function));
            return function.Returns;
        }

        private static string ArityMessage(string name, Function f)
        {
            var min = f.Args.Length - f.Optional;
            var expected = f.Variadic ? $"at least {min}" : f.Optional > 0 ? $"{min} to {f.Args.Length}" : $"{f.Args.Length}";
            return $"{name}() takes {expected} argument{(expected == "1" ? "" : "s")}";
        }

        private static void CheckArgument(string what, int index, Arg expected, PromqlType actual, int at)
        {
            var ok = expected switch
            {
                Arg.Scalar => actual == PromqlType.Scalar,
                Arg.Vector => actual == PromqlType.InstantVector,
                Arg.Range => actual == PromqlType.RangeVector,
                _ => actual == PromqlType.String,
            };
            if (ok) return;
            var hint = (expected, actual) switch
            {
                (Arg.Range, PromqlType.InstantVector) => $": give it a range, e.g. {what.TrimEnd('(', ')')}(metric[5m])",
                (Arg.Vector, PromqlType.RangeVector) => ": turn the range into an instant vector first, e.g. with rate(...) or avg_over_time(...)",
                (Arg.Vector, PromqlType.Scalar) => ": wrap a number in vector(...)",
                _ => "",
            };
            var expectedName = expected switch { Arg.Scalar => "scalar", Arg.Vector => "instant vector", Arg.Range => "range vector", _ => "string" };
            throw new PromqlParseException($"argument {index} of {what} must be {Article(expectedName)}, not {Article(Name(actual))}{hint}", at);
        }

        private void ParseLabelList(string context)
        {
            Expect(TokenKind.LeftParen, $"'(' and a list of label names after {context}");
            while (!At(TokenKind.RightParen))
            {
                var label = Peek;
                if (label.Kind is not (TokenKind.Identifier or TokenKind.String))
                    throw Error(label, $"expected a label name or ')' but found {Describe(label)}");
                if (label.Kind == TokenKind.Identifier && label.Text.Contains(':'))
                    throw Error(label, $"'{label.Text}' is not a label name: label names cannot contain ':'");
                Take();
                if (At(TokenKind.Comma)) Take();
                else if (!At(TokenKind.RightParen)) throw Error(Peek, $"expected ',' or ')' in the label list but found {Describe(Peek)}");
            }
            Take();
        }

        private void ParseMatchers(Token open, bool hasName)
        {
            Take(); // {
            var nonEmpty = hasName;
            while (!At(TokenKind.RightBrace))
            {
                var label = Peek;
                if (label.Kind == TokenKind.String && (tokens[_next + 1].Kind is TokenKind.Comma or TokenKind.RightBrace))
                {
                    // Prometheus 3: a quoted metric name inside the braces.
                    if (hasName) throw Error(label, "the metric already has a name before the braces");
                    Take();
                    MetricNames.Add(Unquote(label));
                    hasName = nonEmpty = true;
                }
                else
                {
                    if (label.Kind is not (TokenKind.Identifier or TokenKind.String))
                        throw Error(label, label.Kind == TokenKind.End
                            ? $"the label matchers opened at column {open.Position + 1} are not closed: add '}}'"
                            : $"expected a label name but found {Describe(label)}");
                    if (label.Kind == TokenKind.Identifier && label.Text.Contains(':'))
                        throw Error(label, $"'{label.Text}' is not a label name: label names cannot contain ':'");
                    Take();
                    var op = Peek;
                    if (op.Kind == TokenKind.Equal) throw Error(op, "label matchers use '=', not '=='");
                    if (op.Kind is not (TokenKind.Assign or TokenKind.NotEqual or TokenKind.RegexMatch or TokenKind.RegexNotMatch))
                        throw Error(op, $"expected a matcher operator (=, !=, =~, !~) after the label '{Unquote(label)}' but found {Describe(op)}");
                    Take();
                    var value = Peek;
                    if (value.Kind != TokenKind.String)
                        throw Error(value, $"label values are quoted strings: {Unquote(label)}{op.Text}\"...\", found {Describe(value)}");
                    Take();
                    var text = Unquote(value);
                    if (op.Kind is TokenKind.RegexMatch or TokenKind.RegexNotMatch) CheckRegex(value, text);
                    if (Matches(op.Kind, text, "") is false) nonEmpty = true;
                    if (Unquote(label) == "__name__" && op.Kind == TokenKind.Assign) MetricNames.Add(text);
                }
                if (At(TokenKind.Comma)) Take();
                else if (!At(TokenKind.RightBrace))
                    throw Error(Peek, Peek.Kind == TokenKind.End
                        ? $"the label matchers opened at column {open.Position + 1} are not closed: add '}}'"
                        : $"expected ',' or '}}' between label matchers but found {Describe(Peek)}");
            }
            Take();
            if (!nonEmpty)
                throw Error(open, "a selector needs a metric name or at least one label matcher that does not match the empty string (such as job=\"api\")");
        }

        private static bool? Matches(TokenKind op, string pattern, string value) => op switch
        {
            TokenKind.Assign => value == pattern,
            TokenKind.NotEqual => value != pattern,
            TokenKind.RegexMatch => SafeMatch(pattern, value),
            TokenKind.RegexNotMatch => !SafeMatch(pattern, value),
            _ => null,
        };

        private static bool SafeMatch(string pattern, string value) =>
            Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromMilliseconds(100));

        private static void CheckRegex(Token at, string pattern)
        {
            try
            {
                _ = new Regex($"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException e)
            {
                throw Error(at, $"invalid regular expression {at.Text}: {e.Message}");
            }
        }

        private static string Unquote(Token token)
        {
            if (token.Kind != TokenKind.String) return token.Text;
            var raw = token.Text[1..^1];
            if (token.Text[0] == '`') return raw;
            var builder = new StringBuilder();
            for (var i = 0; i < raw.Length; i++)
            {
                if (raw[i] != '\\' || i + 1 >= raw.Length) { builder.Append(raw[i]); continue; }
                var next = raw[++i];
                builder.Append(next switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'a' => '\a', 'b' => '\b', 'f' => '\f', 'v' => '\v', _ => next });
            }
            return builder.ToString();
        }

        private static bool DurationIsZero(string text) => text.All(c => !char.IsAsciiDigit(c) || c == '0');

        private static string Suggestion(string unknown)
        {
            var best = Functions.Keys.Concat(Aggregations.Keys)
                .Select(k => (Name: k, Distance: Distance(unknown, k)))
                .Where(k => k.Distance <= 2)
                // Ties go to the name sharing the longest start with the typo: "rat" is "rate", not "rad".
                .OrderBy(k => k.Distance).ThenByDescending(k => CommonPrefix(unknown, k.Name)).ThenBy(k => k.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            return best.Name is null ? "" : $" (did you mean '{best.Name}'?)";
        }

        private static int CommonPrefix(string a, string b)
        {
            var n = 0;
            while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
            return n;
        }

        private static int Distance(string a, string b)
        {
            var row = Enumerable.Range(0, b.Length + 1).ToArray();
            for (var i = 1; i <= a.Length; i++)
            {
                var previous = row[0];
                row[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var current = row[j];
                    row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                    previous = current;
                }
            }
            return row[b.Length];
        }
    }
}
