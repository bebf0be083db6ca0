using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Hosting;

namespace Pressluft.Runner.Commands;

/// <summary>
/// Reads the configured ledger for a CLI verb, without creating or migrating anything: a ledger that does not exist
/// yet, or has no tables, is reported as such in one line (no database error events), not as a failure of the verb.
/// One per verb: building the host is most of a verb's start-up time.
/// </summary>
public sealed class LedgerReader : IDisposable
{
    private readonly IHost _host;
    private bool _checked;

    public LedgerReader()
    {
        _host = CommandSupport.LedgerHost();
        Options = _host.Services.GetRequiredService<IConfiguration>().GetSection(LedgerOptions.SectionName).Get<LedgerOptions>() ?? new LedgerOptions();
    }

    public LedgerOptions Options { get; }

    /// <summary>The CLI host's services: configuration and the service's validators, for verbs that need them too.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Where the ledger is, for messages: the SQLite file, or the PostgreSQL host and database.</summary>
    public string Where => ServiceConfiguration.SqliteFile(Options) is { } file
        ? file
        : new Npgsql.NpgsqlConnectionStringBuilder(Options.ConnectionString) is var postgres ? $"PostgreSQL {postgres.Host}:{postgres.Port}/{postgres.Database}" : "";

    public async Task<T> ReadAsync<T>(Func<PressluftDbContext, Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        if (!_checked)
        {
            await EnsureReadyAsync(db, cancellationToken);
            _checked = true;
        }

        return await read(db);
    }

    private async Task EnsureReadyAsync(PressluftDbContext db, CancellationToken cancellationToken)
    {
        const string what = "start the service (`pressluft run`, which migrates) or run `pressluft migrate`";
        if (ServiceConfiguration.SqliteFile(Options) is { } file && !File.Exists(file))
        {
            throw new LedgerNotReadyException($"no ledger at {file} yet: {what}");
        }

        // A plain catalogue query: EF's migration API would build its migrations model first, which costs a CLI second.
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Options.Provider == LedgerProvider.Sqlite
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'ef_migrations_history'"
            : "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'ef_migrations_history' AND schemaname = current_schema()";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            throw new LedgerNotReadyException($"the ledger at {Where} has no tables yet: {what}");
        }
    }

    public void Dispose() => _host.Dispose();
}
