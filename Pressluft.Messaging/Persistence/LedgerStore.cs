using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Pressluft.Messaging.Persistence;

/// <summary>Which database holds the ledger.</summary>
public enum LedgerProvider
{
    Sqlite,
    Postgres,
}

/// <summary><c>Pressluft:Ledger</c>: the ledger's database.</summary>
public sealed class LedgerOptions
{
    public const string SectionName = "Pressluft:Ledger";

    public LedgerProvider Provider { get; set; } = LedgerProvider.Sqlite;

    /// <summary>An ADO.NET connection string; for SQLite, <c>Data Source=&lt;file&gt;</c>.</summary>
    public string ConnectionString { get; set; } = "Data Source=pressluft.db";

    /// <summary>Apply pending migrations when the service starts (turn off to run <c>pressluft migrate</c> yourself).</summary>
    public bool MigrateOnStart { get; set; } = true;
}

/// <summary>Every provider difference lives here: which context type, which EF provider, which options.</summary>
public static class LedgerStore
{
    /// <summary>
    /// The ledger's context, pooled: a message scope rents one and returns it reset (change tracker cleared, settings as
    /// configured), instead of building a context and resolving EF's services for every consumed message (7 % of the
    /// service's CPU per message in the profile). On SQLite also the log's background checkpoints
    /// (<see cref="SqliteCheckpointer"/>), which run where the host runs its hosted services.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="options">Provider and connection string.</param>
    /// <param name="configure">Extra options, e.g. interceptors (benchmarks count round trips with one); called once, with the root provider.</param>
    public static IServiceCollection AddPressluftLedger(this IServiceCollection services, LedgerOptions options,
        Action<IServiceProvider, DbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Provider)
        {
            case LedgerProvider.Sqlite:
                services.AddDbContextPool<PressluftDbContext, SqlitePressluftDbContext>((sp, o) =>
                {
                    UseCompiledModel(ConfigureSqlite(o, options.ConnectionString), CompiledModels.Sqlite.SqlitePressluftDbContextModel.Instance);
                    configure?.Invoke(sp, o);
                });
                services.TryAddSingleton(TimeProvider.System);
                services.AddHostedService<SqliteCheckpointer>();
                break;
            case LedgerProvider.Postgres:
                services.AddDbContextPool<PressluftDbContext, PostgresPressluftDbContext>((sp, o) =>
                {
                    UseCompiledModel(ConfigurePostgres(o, options.ConnectionString), CompiledModels.Postgres.PostgresPressluftDbContextModel.Instance);
                    configure?.Invoke(sp, o);
                });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "Unknown ledger provider");
        }

        return services;
    }

    /// <summary>
    /// The service runs on the model <c>dotnet ef dbcontext optimize</c> generated into <c>CompiledModels/</c>, not one
    /// built from <see cref="PressluftDbContext"/>'s configuration at start: building runs EF's conventions, code compiled
    /// once whose code and type data stay resident. Measured on an idle service started on a migrated database: 157 ->
    /// 147.5 MiB RSS, 18,000 -> 17,200 methods compiled at start. The compiled model must match the configuration: a spec
    /// (Compiled_model_Specs) fails when it does not, with the command that generates it again.
    /// <para>
    /// At start, <c>Migrate</c> would build the model from the configuration anyway, to warn when it has changes no
    /// migration holds. That check is a spec too (Migrations_Specs), so the service skips it.
    /// </para>
    /// </summary>
    private static void UseCompiledModel(DbContextOptionsBuilder builder, IModel model) =>
        builder.UseModel(model).ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));

    public static DbContextOptionsBuilder ConfigureSqlite(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseSqlite(connectionString, sqlite => sqlite.MigrationsHistoryTable("ef_migrations_history"))
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(SqliteConnectionPragmas.Instance);

    /// <summary>
    /// PostgreSQL, with <c>No Reset On Close</c>: EF opens and closes a pooled connection around every statement outside a
    /// transaction, and Npgsql would otherwise send <c>DISCARD ALL</c> each time (about 30 per gate, a third of the
    /// database's transactions). The ledger leaves no session state behind: no <c>SET</c>, temporary table or session
    /// lock; the environment locks, which are session advisory locks, use connections of their own, outside this pool.
    /// An open transaction is still rolled back when its connection returns to the pool. Anything that ever sets session
    /// state on a ledger connection would carry it over to the next message: use <c>SET LOCAL</c>, or a connection of its own.
    /// <para>
    /// Statements are prepared automatically (<c>Max Auto Prepare</c>, unless the connection string sets it): a message
    /// sends the same dozen or so statements each time, and a prepared one skips PostgreSQL's parse and plan. Measured
    /// with the bench, event to request: p50 21-24 ms to 18-20 ms, p99 38-46 ms to 33-37 ms.
    /// </para>
    /// </summary>
    public static DbContextOptionsBuilder ConfigurePostgres(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(PostgresConnectionString(connectionString), npgsql => npgsql.MigrationsHistoryTable("ef_migrations_history"))
            .UseSnakeCaseNamingConvention();

    /// <summary>The operator's connection string with the ledger's settings (see <see cref="ConfigurePostgres"/>).</summary>
    public static string PostgresConnectionString(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true };
        // Npgsql's builder answers ContainsKey for every keyword it knows; the plain builder holds only what was written.
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!written.Keys.Cast<string>().Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase)))
        {
            settings.MaxAutoPrepare = 64;
            settings.AutoPrepareMinUsages = 2;
        }

        return settings.ConnectionString;
    }

    /// <summary>Applies the provider's migrations.</summary>
    public static async Task MigrateLedgerAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        if (db.Database.IsSqlite() && Path.GetDirectoryName(db.Database.GetDbConnection().DataSource) is { Length: > 0 } folder)
        {
            // SQLite creates the file but not its folder (a fresh state directory such as /var/lib/pressluft).
            Directory.CreateDirectory(folder);
        }

        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // Write-ahead logging lets readers run while a message's transaction writes; the setting sticks to the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}
