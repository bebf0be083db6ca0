using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Environment locks shared by every runner on one PostgreSQL ledger: a session-level advisory lock
/// (<c>pg_advisory_lock</c>) on a connection of its own, outside the pool, held while the playbook runs. Releasing
/// unlocks it and closes the connection; when a runner dies, PostgreSQL drops its connection and with it the lock
/// (TCP keep-alives, set here, notice a runner that vanished from the network within about a minute). The key is
/// the two-integer form, in a class of its own (<see cref="LockClass"/>), so it meets no other advisory lock.
/// </summary>
public sealed class PostgresEnvironmentLocks(string ledgerConnectionString, ILogger<PostgresEnvironmentLocks> logger) : IEnvironmentLocks
{
    /// <summary>The first key of every environment lock ("PLFT").</summary>
    public const int LockClass = 0x504C4654;

    private readonly string _connectionString = new NpgsqlConnectionStringBuilder(ledgerConnectionString)
    {
        Pooling = false,
        ApplicationName = "pressluft-environment-lock",
        Options = "-c tcp_keepalives_idle=20 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
        KeepAlive = 20,
    }.ConnectionString;

    public async Task<EnvironmentLock> AcquireAsync(Guid environmentId, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var key = Key(environmentId);
            var waited = false;
            await using var attempt = Command(connection, "SELECT pg_try_advisory_lock(@class, @key)", key);
            if (!(bool)(await attempt.ExecuteScalarAsync(cancellationToken))!)
            {
                waited = true;
                logger.LogInformation("Environment {EnvironmentId}: another playbook runs on it; waiting for it to end", environmentId);
                await using var wait = Command(connection, "SELECT pg_advisory_lock(@class, @key)", key);
                await wait.ExecuteNonQueryAsync(cancellationToken);
            }

            return new EnvironmentLock(environmentId, waited, () => ReleaseAsync(connection, environmentId, key));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The second key: the environment id folded to 32 bits. Two environments that share it only wait for each other.</summary>
    public static int Key(Guid environmentId)
    {
        Span<byte> bytes = stackalloc byte[16];
        environmentId.TryWriteBytes(bytes);
        var key = 0;
        for (var i = 0; i < 16; i += 4)
        {
            key ^= BitConverter.ToInt32(bytes[i..(i + 4)]);
        }

        return key;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, int key)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("class", LockClass);
        command.Parameters.AddWithValue("key", key);
        return command;
    }

    private async ValueTask ReleaseAsync(NpgsqlConnection connection, Guid environmentId, int key)
    {
        try
        {
            await using var command = Command(connection, "SELECT pg_advisory_unlock(@class, @key)", key);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            // The connection is gone, and the lock went with it.
            logger.LogDebug("Environment {EnvironmentId}: lock connection already closed ({Reason})", environmentId, exception.Message);
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
