using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Pressluft.Testing;

/// <summary>A logger provider that keeps every entry, for tests that assert on what an operator would read.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public IEnumerable<string> At(LogLevel level) => Entries.Where(e => e.Level == level).Select(e => e.Message);

    /// <summary>The messages logged by <typeparamref name="T"/>'s logger, at any level.</summary>
    public IReadOnlyList<string> Of<T>() => Entries.Where(e => e.Category == typeof(T).FullName).Select(e => e.Message).ToList();

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Entries.Enqueue((logLevel, category, formatter(state, exception)));
    }
}
