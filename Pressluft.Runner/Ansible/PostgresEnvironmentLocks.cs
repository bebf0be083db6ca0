using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Environment locks shared by every runner on one PostgreSQL ledger: session-level advisory locks
/// (<c>pg_advisory_lock</c>) on connections outside the pool, held while the playbook runs. A free environment is taken
/// on the runner's one lock session, so a runner running dozens of checks holds one connection for all of them, not
/// one each; an environment another runner holds is waited for on a connection of its own, blocked in PostgreSQL, and
/// held there. Within the runner an in-process lock comes first, since a session takes its own advisory lock again
/// without waiting. Releasing unlocks it (and closes a connection of its own); when a runner dies, PostgreSQL drops
/// its sessions and with them the locks (TCP keep-alives, set here, notice a runner that vanished from the network
/// within about a minute). The key is the two-integer form, in a class of its own (<see cref="LockClass"/>), so it
/// meets no other advisory lock.
/// </summary>
public sealed class PostgresEnvironmentLocks(string ledgerConnectionString, ILogger<PostgresEnvironmentLocks> logger) : IEnvironmentLocks, IAsyncDisposable
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

    private readonly InProcessEnvironmentLocks _inProcess = new();

    // The runner's lock session, used by one command at a time; replaced when it breaks (its locks went with it).
    private readonly SemaphoreSlim _sessionGate = new(1, 1);
    private NpgsqlConnection? _session;

    public async Task<EnvironmentLock> AcquireAsync(Guid environmentId, CancellationToken cancellationToken)
    {
        var local = await _inProcess.AcquireAsync(environmentId, cancellationToken);
        try
        {
            var key = Key(environmentId);
            if (await TryOnSessionAsync(key, cancellationToken) is { } session)
            {
                return new EnvironmentLock(environmentId, local.Waited, async () =>
                {
                    await UnlockOnSessionAsync(session, environmentId, key);
                    await local.DisposeAsync();
                });
            }

            logger.LogInformation("Environment {EnvironmentId}: another playbook runs on it; waiting for it to end", environmentId);
            var own = await WaitOnOwnConnectionAsync(key, cancellationToken);
            return new EnvironmentLock(environmentId, waited: true, async () =>
            {
                await ReleaseOwnAsync(own, environmentId, key);
                await local.DisposeAsync();
            });
        }
        catch
        {
            await local.DisposeAsync();
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

    public async ValueTask DisposeAsync()
    {
        await _sessionGate.WaitAsync();
        try
        {
            if (_session is not null)
            {
                await _session.DisposeAsync();
                _session = null;
            }
        }
        finally
        {
            _sessionGate.Release();
        }
    }

    // The session the lock was taken on, or null when another runner holds the environment.
    private async Task<NpgsqlConnection?> TryOnSessionAsync(int key, CancellationToken cancellationToken)
    {
        await _sessionGate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var session = _session ??= await ConnectAsync(null, cancellationToken);
                try
                {
                    await using var command = Command(session, "SELECT pg_try_advisory_lock(@class, @key)", key);
                    return (bool)(await command.ExecuteScalarAsync(cancellationToken))! ? session : null;
                }
                catch (NpgsqlException) when (attempt == 1 && Ended(session))
                {
                    // The session ended (a database restart, an administrator): a new one, once.
                    await DropSessionAsync(session);
                }
            }
        }
        finally
        {
            _sessionGate.Release();
        }
    }

    private async Task UnlockOnSessionAsync(NpgsqlConnection session, Guid environmentId, int key)
    {
        await _sessionGate.WaitAsync();
        try
        {
            if (!ReferenceEquals(session, _session))
            {
                // That session is gone, and the lock went with it.
                return;
            }

            if (!await UnlockAsync(session, environmentId, key))
            {
                await DropSessionAsync(session);
            }
        }
        finally
        {
            _sessionGate.Release();
        }
    }

    // False when the connection is gone, and the lock with it.
    private async Task<bool> UnlockAsync(NpgsqlConnection connection, Guid environmentId, int key)
    {
        try
        {
            await using var command = Command(connection, "SELECT pg_advisory_unlock(@class, @key)", key);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
            return true;
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            logger.LogDebug("Environment {EnvironmentId}: lock connection already closed ({Reason})", environmentId, exception.Message);
            return false;
        }
    }

    private static bool Ended(NpgsqlConnection session) =>
        !session.FullState.HasFlag(System.Data.ConnectionState.Open) || session.FullState.HasFlag(System.Data.ConnectionState.Broken);

    // Under _sessionGate.
    private async Task DropSessionAsync(NpgsqlConnection session)
    {
        if (ReferenceEquals(session, _session))
        {
            _session = null;
        }

        await session.DisposeAsync();
    }

    // Blocks in PostgreSQL until the other runner releases the environment; the lock is then held by this connection.
    private Task<NpgsqlConnection> WaitOnOwnConnectionAsync(int key, CancellationToken cancellationToken) =>
        ConnectAsync(async connection =>
        {
            await using var wait = Command(connection, "SELECT pg_advisory_lock(@class, @key)", key);
            await wait.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    private async ValueTask ReleaseOwnAsync(NpgsqlConnection connection, Guid environmentId, int key)
    {
        try
        {
            await UnlockAsync(connection, environmentId, key);
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    // A connection outside the pool, opened and then prepared by `then`; disposed when either fails.
    private async Task<NpgsqlConnection> ConnectAsync(Func<NpgsqlConnection, Task>? then, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (then is not null)
            {
                await then(connection);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, int key)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("class", LockClass);
        command.Parameters.AddWithValue("key", key);
        return command;
    }
}
