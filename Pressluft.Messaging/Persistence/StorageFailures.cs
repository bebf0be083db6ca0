using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Pressluft.Messaging.Persistence;

/// <summary>What a ledger that cannot be reached or written for a while (a database restarting) throws.</summary>
public static class StorageFailures
{
    /// <summary>
    /// Whether <paramref name="exception"/> is the ledger failing rather than the message or the work: a provider error
    /// (<see cref="DbException"/>: Npgsql's or SQLite's), a failed save, or either wrapped. EF Core's PostgreSQL provider
    /// wraps a transient error of a query or a save in an <see cref="InvalidOperationException"/> ("likely due to a
    /// transient failure"), so the type alone does not tell.
    /// </summary>
    public static bool Is(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException or DbUpdateException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="exception"/> is the ledger being away, wrapped or not: the database cannot be reached or
    /// is not taking work (refused or timed-out connections, a connection lost, shutting down, starting up, out of
    /// connections or disk; a provider error marked transient that PostgreSQL did not answer with a code of its own, or
    /// one of PostgreSQL's codes for that: classes 08, 53, 57P and 58). Any other PostgreSQL error is not, even when
    /// transient: a deadlock, a serialization failure or a lock not available is a conflict tried again at once, and an
    /// object in use or in the wrong state is the statement's own problem, not an outage to wait out for minutes.
    /// </summary>
    public static bool IsOutage(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return OutageClasses.Any(c => postgres.SqlState.StartsWith(c, StringComparison.Ordinal));
            }

            if (current is DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    // Connection exception, insufficient resources, operator intervention (shutdown, starting up), system error.
    private static readonly string[] OutageClasses = ["08", "53", "57P", "58"];
}
