using Microsoft.Data.Sqlite;
using Npgsql;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Testing;

/// <summary>
/// A throwaway ledger database for one test: a SQLite file in a temp folder, or a fresh database on the PostgreSQL
/// server the test command started (<c>PRESSLUFT_TEST_POSTGRES</c>), dropped afterwards.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "PRESSLUFT_TEST_POSTGRES";

    private readonly string? _directory;
    private readonly string? _adminConnectionString;
    private readonly string? _databaseName;

    private TestDatabase(LedgerOptions options, string? directory, string? adminConnectionString, string? databaseName)
    {
        Options = options;
        _directory = directory;
        _adminConnectionString = adminConnectionString;
        _databaseName = databaseName;
    }

    public LedgerOptions Options { get; }

    public LedgerProvider Provider => Options.Provider;

    public static IEnumerable<LedgerProvider> Providers { get; } = [LedgerProvider.Sqlite, LedgerProvider.Postgres];

    public static async Task<TestDatabase> CreateAsync(LedgerProvider provider)
    {
        if (provider == LedgerProvider.Sqlite)
        {
            var directory = Directory.CreateTempSubdirectory("pressluft-ledger-").FullName;
            return new TestDatabase(
                new LedgerOptions { Provider = provider, ConnectionString = $"Data Source={Path.Combine(directory, "ledger.db")}" },
                directory, null, null);
        }

        var admin = System.Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrWhiteSpace(admin))
        {
            throw new InvalidOperationException(
                $"PostgreSQL tests need {PostgresVariable} (a connection string). Run ./build.sh --target=Test, which starts PostgreSQL with scripts/postgres.sh.");
        }

        var name = $"pressluft_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestDatabase(new LedgerOptions { Provider = provider, ConnectionString = builder.ConnectionString }, null, admin, name);
    }

    public async ValueTask DisposeAsync()
    {
        if (_directory is not null)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }

        if (_adminConnectionString is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_adminConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_databaseName}\" WITH (FORCE)", connection);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await command.ExecuteNonQueryAsync();
                    break;
                }
                catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 50)
                {
                    // FORCE may not end an autovacuum worker for a role that is not a superuser; the worker is done within moments.
                    await Task.Delay(100);
                }
            }
        }
    }

    public override string ToString() => Provider.ToString();
}
