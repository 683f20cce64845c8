using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Portal.Web.Tests.Security;

/// <summary>
/// Every log line a host writes, at Trace level and from every category (the workers', ASP.NET Core's, EF Core's,
/// HttpClient's), with its scopes and exception, as the text a log shipper would store.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Adds the capture to a host's logging and lowers every category to Trace for it.</summary>
    public void AttachTo(ILoggingBuilder logging)
    {
        logging.SetMinimumLevel(LogLevel.Trace);
        logging.AddProvider(this);
        logging.AddFilter<CapturedLogs>(null, LogLevel.Trace);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            // Structured values too: a sink that stores properties would store these even when the message omits them.
            if (state is IEnumerable<KeyValuePair<string, object?>> properties)
                foreach (var (key, value) in properties) line.Append(" |").Append(key).Append('=').Append(value);
            owner._scopes.ForEachScope((scope, text) => text.Append(" => ").Append(scope), line);
            if (exception is not null) line.Append('\n').Append(exception);
            owner._lines.Enqueue(line.ToString());
        }
    }
}
