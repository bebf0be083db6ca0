using System.Data.Common;
using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.Options;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Validation;
using RabbitMQ.Client.Exceptions;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Pressluft.Runner.Hosting;

/// <summary>
/// Failures the service expects and handles are not bugs, so they are logged as one line without a stack trace: a
/// rejected message (bad input, moved to <c>_error</c> with its reason) at Warning, each broker connection attempt
/// that fails (MassTransit retries it) once, at Warning, with the broker's host:port and the reason, and a cancelled
/// start or stop. A ledger that is away (a database restarting or stopped: the message or the pass is tried again, see
/// <see cref="LedgerOutageRetry"/>) is one line with the database's host:port and the reason at the level it was
/// logged at (a retry at Warning, at most one per endpoint every <see cref="OutageRetryLineEvery"/> with a count of the
/// others; a message given up on at Error, every one), and invalid options at start keep their level too;
/// both lose the stack. EF's probe of a fresh database's migration history is left out, as are EF's own error lines
/// for a ledger that is away (whoever ran the query says it once). Everything else passes through untouched.
/// </summary>
public sealed class ExpectedFailureSink(ILogEventSink inner) : ILogEventSink
{
    /// <summary>Set (through the log context) while the ledger is migrated at start.</summary>
    public const string MigratingProperty = "LedgerMigrating";

    /// <summary>
    /// While the ledger is away, each endpoint's retries of the messages it holds are said once, then at most once in this
    /// long, with how many were not said: every held message retries every 10 s for minutes.
    /// </summary>
    public static readonly TimeSpan OutageRetryLineEvery = TimeSpan.FromSeconds(30);

    private static readonly MessageTemplateParser Parser = new();

    // Per endpoint (input address): when its last outage retry line went out, and how many retries were not said since.
    private readonly Dictionary<string, (DateTimeOffset Said, int Unsaid)> _outageRetries = [];

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        if (IsMigrationProbe(logEvent) || IsLedgerOutageEcho(logEvent))
        {
            return;
        }

        // A ledger that is away keeps its level: each retry says it at Warning, and the fault of a message that waited it
        // out to the end (it goes to its error queue) or a start that failed on it stays an Error for alerts to see. A retry
        // line left unsaid is dropped before its reason is built.
        var outage = logEvent.Exception is { } failure && StorageFailures.IsOutage(failure);
        var unsaid = 0;
        if (outage && logEvent.MessageTemplate.Text.StartsWith("R-RETRY", StringComparison.Ordinal) && !SayOutageRetry(logEvent, out unsaid))
        {
            return;
        }

        if (logEvent.Exception is not { } exception || Reason(exception) is not { } reason)
        {
            inner.Emit(logEvent);
            return;
        }

        // MassTransit follows each failed connection attempt ("Connection Failed") with a "Retrying" line per endpoint
        // waiting on that connection; the attempt has been said once already.
        if (logEvent.MessageTemplate.Text.StartsWith("Retrying", StringComparison.Ordinal) && IsConnectionFailure(exception))
        {
            return;
        }

        var text = logEvent.MessageTemplate.Text + ": {FailureReason}"
            + (unsaid > 0 ? " ({UnsaidRetries} more retries of held messages on this endpoint since the last line)" : "");
        var level = logEvent.Level > LogEventLevel.Warning && exception is not OptionsValidationException && !outage
            ? LogEventLevel.Warning
            : logEvent.Level;
        var template = Parser.Parse(text);
        // The redaction enricher has seen the properties, not the exception: the reason is redacted here.
        var properties = logEvent.Properties.Select(p => new LogEventProperty(p.Key, p.Value))
            .Append(new LogEventProperty("FailureReason", new ScalarValue(SecretRedactor.Redact(reason))))
            .Concat(unsaid > 0 ? [new LogEventProperty("UnsaidRetries", new ScalarValue(unsaid))] : []);
        inner.Emit(new LogEvent(logEvent.Timestamp, level, null, template, properties, logEvent.TraceId ?? default, logEvent.SpanId ?? default));
    }

    /// <summary>The one-line reason of an expected failure, or null for anything else.</summary>
    public static string? Reason(Exception exception)
    {
        var chain = new List<Exception>();
        for (var current = exception; current is not null; current = current.InnerException)
        {
            chain.Add(current);
        }

        if (chain.OfType<RejectedMessageException>().FirstOrDefault() is { } rejected)
        {
            return rejected.Message;
        }

        if (exception is OptionsValidationException invalid)
        {
            // Bad configuration stops the service; the message names the setting, a stack trace adds nothing.
            return string.Join("; ", invalid.Failures);
        }

        if (chain.All(e => e is OperationCanceledException))
        {
            // Start or stop cancelled (Ctrl+C, SIGTERM, a start timeout): what was cancelled is in the message.
            return "cancelled";
        }

        if (StorageFailures.IsOutage(exception))
        {
            // Npgsql's message names the host:port ("Failed to connect to 127.0.0.1:5432"), the innermost cause says why.
            var database = chain.OfType<DbException>().First();
            return ReferenceEquals(database, chain[^1]) ? $"the ledger is away: {database.Message}" : $"the ledger is away: {database.Message} ({Describe(chain[^1])})";
        }

        if (!IsConnectionFailure(exception))
        {
            return null;
        }

        // The innermost cause says why (refused, timed out, bad credentials); MassTransit's own message names the host:port.
        var cause = chain[^1];
        var where = chain.OfType<RabbitMqConnectionException>().FirstOrDefault()?.Message;
        return where is null || ReferenceEquals(cause, chain[0]) ? cause.Message : $"{where} ({Describe(cause)})";
    }

    private bool SayOutageRetry(LogEvent logEvent, out int unsaid)
    {
        var endpoint = logEvent.Properties.TryGetValue("InputAddress", out var address) ? address.ToString() : "";
        lock (_outageRetries)
        {
            if (_outageRetries.TryGetValue(endpoint, out var last) && logEvent.Timestamp - last.Said < OutageRetryLineEvery)
            {
                _outageRetries[endpoint] = (last.Said, last.Unsaid + 1);
                unsaid = 0;
                return false;
            }

            unsaid = last.Unsaid;
            _outageRetries[endpoint] = (logEvent.Timestamp, 0);
            return true;
        }
    }

    private static bool IsMigrationProbe(LogEvent logEvent) =>
        logEvent.Properties.ContainsKey(MigratingProperty)
        && logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: "Microsoft.EntityFrameworkCore.Database.Command" }
        && logEvent.MessageTemplate.Text.StartsWith("Failed executing DbCommand", StringComparison.Ordinal);

    // EF logs a failed command and a failed query itself, at Error with the stack, before the caller sees the exception.
    private static bool IsLedgerOutageEcho(LogEvent logEvent) =>
        logEvent.Exception is { } exception && StorageFailures.IsOutage(exception)
        && logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string category }
        && category.StartsWith("Microsoft.EntityFrameworkCore.", StringComparison.Ordinal);

    private static bool IsConnectionFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is RabbitMqConnectionException or BrokerUnreachableException or ConnectFailureException)
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(Exception cause) => cause is SocketException socket ? $"{socket.SocketErrorCode}: {socket.Message}" : cause.Message;
}
