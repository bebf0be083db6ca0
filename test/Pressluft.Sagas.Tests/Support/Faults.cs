using System.Data.Common;
using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>
/// While armed, the database refuses every <see cref="Operation"/> (INSERT or UPDATE) of a row of <see cref="Table"/>
/// that matches <see cref="When"/> (say, an outbox or inbox write that fails): a row trigger raises an error, so it
/// fails whichever way the row is written (EF's save or the service's own batch). Each refusal is counted where a
/// rollback does not undo it: in a PostgreSQL sequence, or in this process through a function the trigger calls on
/// SQLite (registered on each connection the host's contexts open; pass this as their interceptor).
/// </summary>
public sealed class FailingWrites(string table, string operation = "INSERT", string? when = null) : DbConnectionInterceptor
{
    private const string Counter = "pressluft_test_fault_count";
    private int _sqliteFailures;

    public string Table { get; } = table;

    public string Operation { get; } = operation;

    /// <summary>A condition on the row (<c>NEW.column ...</c>, the same in both dialects); every row when null.</summary>
    public string? When { get; } = when;

    private string Trigger => $"pressluft_test_fail_{Table}";

    private string Condition => When is null ? "" : $" WHEN ({When})";

    public Task ArmAsync(GateTestHost host) =>
        host.QueryAsync(db => db.Database.ExecuteSqlRawAsync(db.Database.IsNpgsql()
            ? $$"""
                CREATE SEQUENCE IF NOT EXISTS {{Counter}};
                CREATE OR REPLACE FUNCTION {{Trigger}}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM nextval('{{Counter}}');
                    RAISE EXCEPTION 'Simulated failure writing to %', TG_TABLE_NAME;
                END $$;
                CREATE TRIGGER {{Trigger}} BEFORE {{Operation}} ON {{Table}} FOR EACH ROW{{Condition}} EXECUTE FUNCTION {{Trigger}}();
                """
            : $"""
                CREATE TRIGGER {Trigger} BEFORE {Operation} ON {Table} FOR EACH ROW{Condition}
                BEGIN
                    SELECT {Counter}();
                    SELECT RAISE(ABORT, 'Simulated failure writing to {Table}');
                END;
                """));

    public Task DisarmAsync(GateTestHost host) =>
        host.QueryAsync(db =>
        {
            // Test-owned names only (the table is a constant of the spec).
            var drop = db.Database.IsNpgsql() ? $"DROP TRIGGER {Trigger} ON {Table}" : $"DROP TRIGGER {Trigger}";
            return db.Database.ExecuteSqlRawAsync(drop);
        });

    /// <summary>
    /// A gate waiting for its check's answer, on a host whose contexts this can fail, and what it has stored then (the
    /// check's deadline far off, so only the answer moves the gate).
    /// </summary>
    public async Task<(GateTestHost Host, SiteFixture Site, HealthCheckRequested Check, Snapshot Before)> AwaitingCheckAsync(LedgerProvider ledger)
    {
        var host = await GateTestHost.StartAsync(ledger,
            new Dictionary<string, string?> { ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:05:00" },
            database: (_, o) => o.AddInterceptors(this));
        var site = new SiteFixture();
        var (_, check) = await host.AwaitingCheckAsync(site);
        return (host, site, check, await Snapshot.TakeAsync(host));
    }

    /// <summary>How many writes were refused so far.</summary>
    public Task<int> FailuresAsync(GateTestHost host) =>
        host.QueryAsync(async db => db.Database.IsNpgsql()
            ? (int)await db.Database.SqlQueryRaw<long>($"SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS \"Value\" FROM {Counter}").SingleAsync()
            : Volatile.Read(ref _sqliteFailures));

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Register(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Register(connection);
        return Task.CompletedTask;
    }

    private void Register(DbConnection connection)
    {
        if (connection is SqliteConnection sqlite)
        {
            sqlite.CreateFunction(Counter, () => Interlocked.Increment(ref _sqliteFailures), isDeterministic: false);
        }
    }
}

/// <summary>
/// Fails the first <paramref name="failures"/> deliveries to the transport of a message whose destination names
/// <see cref="MessageName"/> (one by default): a broker that takes nothing, or a process that dies after its commit.
/// </summary>
public sealed class FailingDelivery(string messageName, int failures = 1) : IFilter<SendContext>
{
    private int _remaining = failures;

    public string MessageName { get; } = messageName;

    /// <summary>Lets every delivery through from now on.</summary>
    public void Stop() => Interlocked.Exchange(ref _remaining, 0);

    public int Failed { get; private set; }

    public Task Send(SendContext context, IPipe<SendContext> next)
    {
        if (context.DestinationAddress?.AbsolutePath.Contains(MessageName, StringComparison.Ordinal) == true
            && Interlocked.Decrement(ref _remaining) >= 0)
        {
            Failed++;
            throw new InvalidOperationException($"Simulated transport failure delivering {MessageName}");
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("failingDelivery");
}

/// <summary>
/// Stalls the first delivery of a message whose destination names <see cref="MessageName"/> until <see cref="Release"/>,
/// then fails it: the process that committed the transition is as good as dead between its commit and its delivery.
/// </summary>
public sealed class StallingDelivery(string messageName) : IFilter<SendContext>
{
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = 1;

    public string MessageName { get; } = messageName;

    /// <summary>Completes once a delivery is held.</summary>
    public Task Stalled => _stalled.Task;

    public void Release() => _released.TrySetResult();

    public async Task Send(SendContext context, IPipe<SendContext> next)
    {
        if (context.DestinationAddress?.AbsolutePath.Contains(MessageName, StringComparison.Ordinal) == true
            && Interlocked.Exchange(ref _remaining, 0) == 1)
        {
            _stalled.TrySetResult();
            await _released.Task;
            throw new InvalidOperationException($"The process delivering {MessageName} is gone");
        }

        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stallingDelivery");
}
