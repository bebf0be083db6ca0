using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// On PostgreSQL, a consumed message's whole unit of work (the rows its saga and ledger staged in the change tracker, its
/// inbox row, the outgoing rows delivered right after the commit, the commit participants' statements) as one
/// <see cref="NpgsqlBatch"/> of fixed statements: one round trip, which PostgreSQL runs as one implicit transaction (a
/// batch up to its single Sync), so no BEGIN and COMMIT of its own. The profile of a consumed message put EF's save (a
/// column modification, a parameter and an identifier to quote per column of every row, SQL generated per row and parsed
/// again by Npgsql to split it) at a third of the service's allocations. The statements are built once per model from
/// EF's own metadata (table and column names, and its type mappings, which convert and type each value as a save does),
/// so they follow the model. What a save checks, this checks too: an update or delete that finds its row changed (a
/// concurrency token that moved) or gone fails the whole batch in the database (<c>pressluft_expect_one_row</c>, SQLSTATE
/// 40001), so nothing of the unit of work is stored and the message is retried. Inside a transaction it joins it.
/// </summary>
public static partial class PostgresCommitBatch
{
    /// <summary>
    /// Writes the rows and runs the statements; then sets the generated keys (<see cref="InboxState.Id"/>,
    /// <see cref="OutboxMessage.SequenceNumber"/>, a tracked row's identity) once every statement has run, and accepts the
    /// change tracker's changes as a save does.
    /// </summary>
    public static async Task ExecuteAsync(PressluftDbContext db, InboxState inbox, IReadOnlyList<OutboxMessage> outgoing,
        IReadOnlyList<CommitStatement> statements, CancellationToken cancellationToken)
    {
        var tables = Tables.GetValue(db.Model, model => new ModelTables(model));
        var mappings = db.GetService<IRelationalTypeMappingSource>();
        var changes = Changes(db, tables);
        using var parameters = new NpgsqlCommand();

        // The inserts that return a generated key come first, each one result, read back in this order.
        var commands = new List<NpgsqlBatchCommand> { tables.Inbox.Insert(inbox, parameters) };
        commands.AddRange(outgoing.Select(message => tables.Outbox.Insert(message, parameters)));
        var generated = changes.Where(c => c.Entry.State == EntityState.Added && c.Table.KeyIsGenerated).ToList();
        commands.AddRange(generated.Select(c => c.Table.Insert(c.Entry.Entity, parameters)));

        // Then the rest of the tracked changes in a fixed order, by table name and then key (so two units of work lock the
        // rows they share in the same order), and the participants' statements after them.
        foreach (var (entry, table, _) in changes)
        {
            var command = entry.State switch
            {
                EntityState.Added when !table.KeyIsGenerated => table.Insert(entry.Entity, parameters),
                EntityState.Modified => table.Update(entry, parameters),
                EntityState.Deleted => table.Delete(entry, parameters),
                _ => null,
            };
            if (command is not null)
            {
                commands.Add(command);
            }
        }

        commands.AddRange(statements.Select(statement => Positional(statement, mappings, parameters)));

        var keys = new long[1 + outgoing.Count + generated.Count];
        await PostgresSql.RunBatchAsync(db, commands, async reader =>
        {
            for (var i = 0; i < keys.Length; i++)
            {
                if ((i > 0 && !await reader.NextResultAsync(cancellationToken)) || !await reader.ReadAsync(cancellationToken))
                {
                    throw new InvalidOperationException("An insert of the commit batch returned no key");
                }

                keys[i] = reader.GetInt64(0);
            }
        }, cancellationToken);

        inbox.Id = keys[0];
        for (var i = 0; i < outgoing.Count; i++)
        {
            outgoing[i].SequenceNumber = keys[i + 1];
        }

        for (var i = 0; i < generated.Count; i++)
        {
            var (entry, table, _) = generated[i];
            entry.Property(table.Key).CurrentValue = keys[1 + outgoing.Count + i];
        }

        db.ChangeTracker.AcceptAllChanges();
    }

    // What the change tracker holds to be written (DetectChanges runs first, as for a save), with each row's table and key,
    // in the batch's order.
    private static List<(EntityEntry Entry, TableRow Table, object? Key)> Changes(PressluftDbContext db, ModelTables tables)
    {
        var changes = new List<(EntityEntry Entry, TableRow Table, object? Key)>();
        foreach (var entry in db.ChangeTracker.Entries())
        {
            if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted)
            {
                var table = tables.For(entry.Metadata);
                changes.Add((entry, table, entry.Property(table.Key).CurrentValue));
            }
        }

        changes.Sort((a, b) => a.Table.Order != b.Table.Order ? a.Table.Order.CompareTo(b.Table.Order) : Comparer<object>.Default.Compare(a.Key, b.Key));
        return changes;
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
    private static readonly ConditionalWeakTable<IModel, ModelTables> Tables = new();

    private sealed class ModelTables
    {
        private readonly Dictionary<IEntityType, TableRow> _tables;

        public ModelTables(IModel model)
        {
            var order = 0;
            _tables = model.GetEntityTypes()
                .OrderBy(e => e.GetTableName(), StringComparer.Ordinal)
                .ToDictionary(e => (IEntityType)e, e => new TableRow(e, order++));
            Inbox = _tables[model.FindEntityType(typeof(InboxState))!];
            Outbox = _tables[model.FindEntityType(typeof(OutboxMessage))!];
        }

        public TableRow Inbox { get; }

        public TableRow Outbox { get; }

        public TableRow For(IEntityType entity) =>
            _tables.TryGetValue(entity, out var table) ? table : throw new InvalidOperationException($"{entity.DisplayName()} is not in the ledger's model");
    }

    /// <summary>
    /// The statements that write one entity type's rows: an INSERT of every column (but a generated key, which it returns),
    /// an UPDATE of the changed columns and a DELETE, both found by key and concurrency tokens and checked to have found
    /// their row. Built from the model on first use; what a save would write differently is refused then.
    /// </summary>
    private sealed class TableRow
    {
        private readonly string _tableName;
        private readonly string _table;
        private readonly string _keyColumn;
        private readonly IProperty[] _tokens;
        private readonly (IProperty Property, IClrPropertyGetter Getter, RelationalTypeMapping Mapping)[] _columns;
        private readonly string _insertSql;
        private readonly string _deleteSql;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, string> _updateSql = new();

        public TableRow(IEntityType entity, int order)
        {
            Order = order;
            Key = entity.FindPrimaryKey()?.Properties is [var key] ? key : throw new InvalidOperationException($"{entity.DisplayName()} has no single-column key");
            KeyIsGenerated = Key.ValueGenerated == ValueGenerated.OnAdd;
            if (KeyIsGenerated && Key.ClrType != typeof(long))
            {
                throw new InvalidOperationException($"{entity.DisplayName()}'s generated key is not a long");
            }

            _columns = entity.GetProperties().Where(p => !(KeyIsGenerated && p == Key))
                .Select(p => (p, p.GetGetter(), p.GetRelationalTypeMapping())).ToArray();
            _tokens = entity.GetProperties().Where(p => p.IsConcurrencyToken).ToArray();
            if (_columns.Length > 64)
            {
                throw new InvalidOperationException($"{entity.DisplayName()} has more than 64 columns");
            }

            // A column the database fills (a default or computed value a save leaves out), a property with no CLR member,
            // or a row that spans tables or types is refused here, on first use, rather than written differently.
            foreach (var (property, _, _) in _columns)
            {
                if ((property != Key && property.ValueGenerated != ValueGenerated.Never) || property.IsShadowProperty()
                    || property.GetDefaultValueSql() is not null || property.GetComputedColumnSql() is not null)
                {
                    throw new InvalidOperationException($"{entity.DisplayName()}.{property.Name} is generated or has no CLR member: write it through SaveChanges");
                }
            }

            if (entity.GetNavigations().Any() || entity.GetComplexProperties().Any() || entity.BaseType is not null || entity.GetDirectlyDerivedTypes().Any()
                || entity.IsOwned() || entity.GetTableName() is null || entity.GetSchema() is not null)
            {
                throw new InvalidOperationException($"{entity.DisplayName()} is not a plain row of one table: write it through SaveChanges");
            }

            _tableName = entity.GetTableName()!;
            _table = PostgresSql.Quoted(_tableName);
            _keyColumn = PostgresSql.Quoted(Key.GetColumnName());
            var sql = new StringBuilder("INSERT INTO ").Append(_table).Append(" (");
            sql.AppendJoin(", ", _columns.Select(c => PostgresSql.Quoted(c.Property.GetColumnName())));
            sql.Append(") VALUES (").AppendJoin(", ", _columns.Select((_, i) => "$" + (i + 1))).Append(')');
            if (KeyIsGenerated)
            {
                sql.Append(" RETURNING ").Append(_keyColumn);
            }

            _insertSql = sql.ToString();
            _deleteSql = Checked("DELETE FROM " + _table, 1);
        }

        /// <summary>Where the table's rows come in a batch: tables by name.</summary>
        public int Order { get; }

        public IProperty Key { get; }

        public bool KeyIsGenerated { get; }

        public NpgsqlBatchCommand Insert(object row, NpgsqlCommand parameterFactory)
        {
            var command = new NpgsqlBatchCommand(_insertSql);
            foreach (var (property, getter, mapping) in _columns)
            {
                // The mapping converts the value (UTC DateTime, Uri as text) and types the parameter as EF's save does.
                command.Parameters.Add(mapping.CreateParameter(parameterFactory, "", getter.GetClrValueUsingContainingEntity(row), property.IsNullable));
            }

            return command;
        }

        // The changed columns (never the key), then the key and the tokens' values as read; null when no column changed
        // (a save writes nothing for such a row either).
        public NpgsqlBatchCommand? Update(EntityEntry entry, NpgsqlCommand parameterFactory)
        {
            var changed = 0UL;
            for (var i = 0; i < _columns.Length; i++)
            {
                if (_columns[i].Property != Key && entry.Property(_columns[i].Property).IsModified)
                {
                    changed |= 1UL << i;
                }
            }

            if (changed == 0)
            {
                return null;
            }

            var command = new NpgsqlBatchCommand(_updateSql.GetOrAdd(changed, UpdateSql));
            for (var i = 0; i < _columns.Length; i++)
            {
                if ((changed & (1UL << i)) != 0)
                {
                    var (property, getter, mapping) = _columns[i];
                    command.Parameters.Add(mapping.CreateParameter(parameterFactory, "", getter.GetClrValueUsingContainingEntity(entry.Entity), property.IsNullable));
                }
            }

            AddFound(entry, command, parameterFactory);
            return command;
        }

        public NpgsqlBatchCommand Delete(EntityEntry entry, NpgsqlCommand parameterFactory)
        {
            var command = new NpgsqlBatchCommand(_deleteSql);
            AddFound(entry, command, parameterFactory);
            return command;
        }

        private void AddFound(EntityEntry entry, NpgsqlBatchCommand command, NpgsqlCommand parameterFactory)
        {
            command.Parameters.Add(Key.GetRelationalTypeMapping().CreateParameter(parameterFactory, "", entry.Property(Key).OriginalValue, nullable: false));
            foreach (var token in _tokens)
            {
                command.Parameters.Add(token.GetRelationalTypeMapping().CreateParameter(parameterFactory, "", entry.Property(token).OriginalValue, token.IsNullable));
            }
        }

        private string UpdateSql(ulong changed)
        {
            var set = new StringBuilder("UPDATE ").Append(_table).Append(" SET ");
            var next = 1;
            for (var i = 0; i < _columns.Length; i++)
            {
                if ((changed & (1UL << i)) != 0)
                {
                    set.Append(next == 1 ? "" : ", ").Append(PostgresSql.Quoted(_columns[i].Property.GetColumnName())).Append(" = $").Append(next++);
                }
            }

            return Checked(set.ToString(), next);
        }

        // The statement found by key ($first) and tokens (the parameters after it), failing the batch unless it found
        // exactly one row: a token that moved or a row removed since it was read is a conflict, as a save reports it.
        private string Checked(string statement, int first)
        {
            var sql = new StringBuilder("WITH found AS (").Append(statement).Append(" WHERE ").Append(_keyColumn).Append(" = $").Append(first);
            var next = first + 1;
            foreach (var token in _tokens)
            {
                sql.Append(" AND ").Append(PostgresSql.Quoted(token.GetColumnName())).Append(" IS NOT DISTINCT FROM $").Append(next++);
            }

            sql.Append(" RETURNING 1) SELECT pressluft_expect_one_row((SELECT count(*) FROM found), '")
                .Append(_tableName.Replace("'", "''", StringComparison.Ordinal)).Append("', $").Append(first).Append("::text)");
            return sql.ToString();
        }

    }
}
