using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

/// <summary>
/// The ledger's PostgreSQL connections: statements prepared automatically unless the operator's connection string says
/// otherwise, and no session reset on every pooled open (see <see cref="LedgerStore.ConfigurePostgres"/>).
/// </summary>
public sealed class When_the_ledger_connects_to_PostgreSQL
{
    [Test]
    public void Should_prepare_statements_automatically_by_default()
    {
        var settings = new NpgsqlConnectionStringBuilder(LedgerStore.PostgresConnectionString("Host=db;Database=pressluft;Username=p"));
        Assert.Multiple(() =>
        {
            Assert.That(settings.MaxAutoPrepare, Is.EqualTo(64));
            Assert.That(settings.AutoPrepareMinUsages, Is.EqualTo(2));
            Assert.That(settings.NoResetOnClose, Is.True);
            Assert.That(settings.Host, Is.EqualTo("db"));
        });
    }

    [TestCase("Max Auto Prepare=0", 0)]
    [TestCase("MaxAutoPrepare=0", 0)]
    [TestCase("max auto prepare=8", 8)]
    public void Should_keep_the_operators_own_setting(string setting, int expected)
    {
        var settings = new NpgsqlConnectionStringBuilder(LedgerStore.PostgresConnectionString($"Host=db;Database=pressluft;{setting}"));
        Assert.Multiple(() =>
        {
            Assert.That(settings.MaxAutoPrepare, Is.EqualTo(expected));
            Assert.That(settings.AutoPrepareMinUsages, Is.EqualTo(5), "Npgsql's own default when the operator chose");
        });
    }
}

/// <summary>
/// The SQLite ledger's connections: SQLite waits for another writer's lock itself, and a commit does not wait for the
/// write-ahead log to reach the disk (see <see cref="SqliteConnectionPragmas"/>).
/// </summary>
public sealed class When_the_ledger_opens_its_SQLite_file
{
    [Test]
    public async Task Should_wait_for_locks_and_sync_the_log_at_checkpoints()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Sqlite);
        await using var services = await MigratedLedgerAsync(database);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();

        await db.Database.OpenConnectionAsync();
        Assert.Multiple(() =>
        {
            // SQLite's synchronous levels: 0 OFF, 1 NORMAL, 2 FULL (its default), 3 EXTRA.
            Assert.That(Pragma(db, "synchronous"), Is.EqualTo(1));
            Assert.That(Pragma(db, "busy_timeout"), Is.EqualTo(30000));
            Assert.That(Pragma(db, "journal_mode"), Is.EqualTo("wal"));
            // A commit checkpoints only past the backstop; SqliteCheckpointer does it before.
            Assert.That(Pragma(db, "wal_autocheckpoint"), Is.EqualTo(SqliteCheckpointer.BackstopPages));
        });
    }

    [Test]
    public async Task Should_set_them_once_on_each_connection_the_pool_keeps_open()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Sqlite);
        await using var services = await MigratedLedgerAsync(database);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var connection = (SqliteConnection)db.Database.GetDbConnection();

        await db.Database.OpenConnectionAsync();
        await db.Database.ExecuteSqlRawAsync("PRAGMA busy_timeout = 1;");
        await db.Database.CloseConnectionAsync();
        await db.Database.OpenConnectionAsync();
        var reused = Pragma(db, "busy_timeout");
        await db.Database.CloseConnectionAsync();
        SqliteConnection.ClearPool(connection);
        await db.Database.OpenConnectionAsync();
        var renewed = Pragma(db, "busy_timeout");

        Assert.Multiple(() =>
        {
            // The pool's connection came back as it was left, without the pragmas run again; a new one gets them.
            Assert.That(reused, Is.EqualTo(1));
            Assert.That(renewed, Is.EqualTo(30000));
        });
    }

    [Test]
    public async Task Should_leave_checkpoints_to_the_background_and_have_them_copy_the_log_into_the_file()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Sqlite);
        await using var services = await MigratedLedgerAsync(database);
        var checkpointer = services.GetServices<IHostedService>().OfType<SqliteCheckpointer>().Single();
        // The migration's pages first, so that the file alone has the tables.
        await checkpointer.CheckpointAsync(CancellationToken.None);

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
            db.InboxStates.Add(new InboxState { MessageId = Guid.NewGuid(), ConsumerId = Guid.NewGuid(), Received = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        var file = new SqliteConnectionStringBuilder(database.Options.ConnectionString).DataSource;
        Assert.That(await InboxRowsInFileAloneAsync(file), Is.Zero, "the commit itself copied its log into the file");

        var (logPages, copiedPages) = await checkpointer.CheckpointAsync(CancellationToken.None);
        var rowsInFile = await InboxRowsInFileAloneAsync(file);

        Assert.Multiple(() =>
        {
            Assert.That(logPages, Is.GreaterThan(0));
            Assert.That(copiedPages, Is.EqualTo(logPages));
            Assert.That(rowsInFile, Is.EqualTo(1));
        });
    }

    private static async Task<ServiceProvider> MigratedLedgerAsync(TestDatabase database)
    {
        var services = new ServiceCollection().AddLogging().AddPressluftLedger(database.Options).BuildServiceProvider();
        await services.MigrateLedgerAsync();
        return services;
    }

    // The database file copied without its log: what a checkpoint has put into the file, and nothing else.
    private static async Task<long> InboxRowsInFileAloneAsync(string file)
    {
        var copy = Path.Combine(Path.GetDirectoryName(file)!, $"copy-{Guid.NewGuid():N}.db");
        File.Copy(file, copy);
        await using var connection = new SqliteConnection($"Data Source={copy};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM inbox_states;";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static object? Pragma(DbContext db, string name)
    {
        using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        var value = command.ExecuteScalar();
        return value is long number ? (int)number : value;
    }
}
