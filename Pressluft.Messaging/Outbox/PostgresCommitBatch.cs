using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// On PostgreSQL, what every consumed message writes besides its own changes (its inbox row, the outgoing rows delivered
/// right after the commit, the commit participants' statements) as one <see cref="NpgsqlBatch"/> of fixed statements:
/// one round trip, no change tracking. The profile of a consumed message put EF's save of these rows (a column
/// modification, a parameter and an identifier to quote per column of every row, SQL generated per row and parsed
/// again by Npgsql to split it) at a third of the service's allocations. The statements are built once per model from
/// EF's own metadata (table and column names, and its type mappings, which convert and type each value as a save does),
/// so they follow the model. Inside a transaction it joins it; alone, its statements are one implicit transaction
/// (PostgreSQL runs a batch up to its single Sync as one).
/// </summary>
public static partial class PostgresCommitBatch
{
    /// <summary>
    /// Writes the rows and runs the statements; then sets the generated keys (<see cref="InboxState.Id"/>,
    /// <see cref="OutboxMessage.SequenceNumber"/>) once every statement has run.
    /// </summary>
    public static async Task ExecuteAsync(PressluftDbContext db, InboxState inbox, IReadOnlyList<OutboxMessage> outgoing,
        IReadOnlyList<CommitStatement> statements, CancellationToken cancellationToken)
    {
        var inserts = Inserts.GetValue(db.Model, model => new RowInserts(model));
        var mappings = db.GetService<IRelationalTypeMappingSource>();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var batch = new NpgsqlBatch(connection) { Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction() };
        using var parameters = new NpgsqlCommand();
        batch.BatchCommands.Add(inserts.Inbox.Command(inbox, parameters));
        foreach (var message in outgoing)
        {
            batch.BatchCommands.Add(inserts.Outbox.Command(message, parameters));
        }

        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(Positional(statement, mappings, parameters));
        }

        var keys = new long[1 + outgoing.Count];
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            for (var i = 0; i < keys.Length; i++)
            {
                if ((i > 0 && !await reader.NextResultAsync(cancellationToken)) || !await reader.ReadAsync(cancellationToken))
                {
                    throw new InvalidOperationException("An insert of the commit batch returned no key");
                }

                keys[i] = reader.GetInt64(0);
            }

            // The participants' statements: read through, so an error of the last one surfaces here.
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        inbox.Id = keys[0];
        for (var i = 0; i < outgoing.Count; i++)
        {
            outgoing[i].SequenceNumber = keys[i + 1];
        }
    }

    // A statement written with {0}-style placeholders, as a batch command with positional parameters ($1, ...). Each value
    // is typed by the provider's mapping for its CLR type, as ExecuteSqlRaw types it (a DateTime that is not UTC is
    // refused rather than shifted by the session's time zone).
    private static NpgsqlBatchCommand Positional(CommitStatement statement, IRelationalTypeMappingSource mappings, NpgsqlCommand parameterFactory)
    {
        var command = new NpgsqlBatchCommand(PositionalSql.GetOrAdd(statement.Sql,
            sql => Placeholder().Replace(sql, match => "$" + (int.Parse(match.Groups[1].ValueSpan, provider: null) + 1))));
        foreach (var value in statement.Values)
        {
            var mapping = mappings.FindMapping(value.GetType())
                ?? throw new InvalidOperationException($"No PostgreSQL mapping for a value of type {value.GetType().Name}");
            command.Parameters.Add(mapping.CreateParameter(parameterFactory, "", value, nullable: false));
        }

        return command;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> PositionalSql = new(StringComparer.Ordinal);

    [GeneratedRegex(@"\{(\d+)\}")]
    private static partial Regex Placeholder();

    // Compiled for each model (SQLite and PostgreSQL models can share a process in tests; only PostgreSQL's is used).
    private static readonly ConditionalWeakTable<IModel, RowInserts> Inserts = new();

    private sealed class RowInserts(IModel model)
    {
        public RowInsert Inbox { get; } = new(model.FindEntityType(typeof(InboxState))!);

        public RowInsert Outbox { get; } = new(model.FindEntityType(typeof(OutboxMessage))!);
    }

    /// <summary>INSERT of one row of an entity type, every column but the generated key, RETURNING the key.</summary>
    private sealed class RowInsert
    {
        private readonly (IProperty Property, IClrPropertyGetter Getter, RelationalTypeMapping Mapping)[] _columns;
        private readonly string _sql;

        public RowInsert(IEntityType entity)
        {
            var key = entity.FindPrimaryKey()?.Properties is [{ ValueGenerated: ValueGenerated.OnAdd } generated]
                ? generated
                : throw new InvalidOperationException($"{entity.DisplayName()} has no single generated key");
            _columns = entity.GetProperties().Where(p => p != key).Select(p => (p, p.GetGetter(), p.GetRelationalTypeMapping())).ToArray();

            // What a save would do differently is refused here, on first use, rather than written differently: a column
            // the database fills (a default or computed value a save leaves out) or a property with no CLR member.
            foreach (var (property, _, _) in _columns)
            {
                if (property.ValueGenerated != ValueGenerated.Never || property.IsShadowProperty()
                    || property.GetDefaultValueSql() is not null || property.GetComputedColumnSql() is not null)
                {
                    throw new InvalidOperationException($"{entity.DisplayName()}.{property.Name} is generated or has no CLR member: write it through SaveChanges");
                }
            }

            var table = entity.GetSchema() is { } schema ? Quoted(schema) + "." + Quoted(entity.GetTableName()!) : Quoted(entity.GetTableName()!);
            var sql = new StringBuilder("INSERT INTO ").Append(table).Append(" (");
            sql.AppendJoin(", ", _columns.Select(c => Quoted(c.Property.GetColumnName())));
            sql.Append(") VALUES (").AppendJoin(", ", _columns.Select((_, i) => "$" + (i + 1)));
            sql.Append(") RETURNING ").Append(Quoted(key.GetColumnName()));
            _sql = sql.ToString();
        }

        public NpgsqlBatchCommand Command(object row, NpgsqlCommand parameterFactory)
        {
            var command = new NpgsqlBatchCommand(_sql);
            foreach (var (property, getter, mapping) in _columns)
            {
                // The mapping converts the value (UTC DateTime, Uri as text) and types the parameter as EF's save does.
                command.Parameters.Add(mapping.CreateParameter(parameterFactory, "", getter.GetClrValueUsingContainingEntity(row), property.IsNullable));
            }

            return command;
        }

        private static string Quoted(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
