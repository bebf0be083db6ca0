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
    /// Whether <paramref name="exception"/> is the ledger being away (not reachable, shutting down, starting up, out of
    /// connections), wrapped or not: an error its provider marks transient, except PostgreSQL's transient conflicts (a
    /// deadlock, a serialization failure, a lock not available), which are tried again at once like any other conflict.
    /// </summary>
    public static bool IsOutage(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return postgres.IsTransient && !postgres.SqlState.StartsWith("40", StringComparison.Ordinal) && postgres.SqlState != "55P03";
            }

            if (current is DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }
}
