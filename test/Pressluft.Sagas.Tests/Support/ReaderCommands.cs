using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>The ledger's queries (reader commands), text and parameter values, recorded while <see cref="Recording"/> is on.</summary>
public sealed class ReaderCommands : DbCommandInterceptor
{
    private readonly ConcurrentQueue<RecordedCommand> _commands = new();
    private volatile bool _recording;

    public bool Recording
    {
        get => _recording;
        set => _recording = value;
    }

    /// <summary>What was recorded so far, in order.</summary>
    public IReadOnlyList<RecordedCommand> All => [.. _commands];

    /// <summary>Which of <paramref name="tables"/> the recorded queries read (FROM), one entry per read, in order.</summary>
    public static List<string> TablesRead(IEnumerable<RecordedCommand> commands, params string[] tables)
    {
        var from = new Regex($"""FROM "?(?<table>{string.Join("|", tables)})"?\s""");
        return commands.SelectMany(c => from.Matches(c.Text).Select(m => m.Groups["table"].Value)).ToList();
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (_recording)
        {
            _commands.Enqueue(new RecordedCommand(command.CommandText, command.Parameters.Cast<DbParameter>().Select(p => p.Value).ToList()));
        }

        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }
}

/// <summary>One recorded query.</summary>
public sealed record RecordedCommand(string Text, IReadOnlyList<object?> Parameters);
