using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Pressluft.Bench;

/// <summary>Counts what reaches the database: each executed command is one round trip, each commit another.</summary>
public sealed class DatabaseTraffic : IDbCommandInterceptor, IDbTransactionInterceptor
{
    private long _commands;
    private long _commits;

    public long Commands => Interlocked.Read(ref _commands);

    public long Commits => Interlocked.Read(ref _commits);

    public void Reset()
    {
        Interlocked.Exchange(ref _commands, 0);
        Interlocked.Exchange(ref _commits, 0);
    }

    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Interlocked.Increment(ref _commands);
        return result;
    }

    public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _commands);
        return ValueTask.FromResult(result);
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        CountNonQuery(command);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        CountNonQuery(command);
        return ValueTask.FromResult(result);
    }

    // The outbox's clean-up statement runs outside an explicit transaction, so it commits on its own.
    private void CountNonQuery(DbCommand command)
    {
        Interlocked.Increment(ref _commands);
        if (command.Transaction is null && command.CommandText.TrimStart().StartsWith("DELETE FROM outbox_messages", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _commits);
        }
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Interlocked.Increment(ref _commands);
        return result;
    }

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _commands);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Interlocked.Increment(ref _commits);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _commits);
        return Task.CompletedTask;
    }
}
