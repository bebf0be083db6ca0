using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Npgsql;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Messaging.Sagas;

/// <summary>
/// On PostgreSQL, a release lifecycle saga's row and the ledger rows its transitions change (its environment and site,
/// its current job, the gate of its mutation, its release and the release it checks), read in one round trip and tracked
/// as the saga repository and the ledger would track them one query each. The ledger then finds them in the change
/// tracker: an answer to a health check read its job, release, environment and gate one after the other, four round
/// trips after the saga's own. A row that is not there is simply not tracked (the ledger looks it up as before); a row
/// this unit of work tracks already is not read again.
/// </summary>
public static class SagaRowsLoader
{
    // The rows the saga's properties name: the ledger entity, and the saga property holding its key.
    private static readonly RelatedRow[] ReleaseLifecycleRows =
    [
        RelatedRow.Of<EnvironmentRecord>(nameof(ReleaseLifecycleState.CorrelationId)),
        RelatedRow.Of<SiteRecord>(nameof(ReleaseLifecycleState.SiteId)),
        RelatedRow.Of<JobRecord>(nameof(ReleaseLifecycleState.CurrentJobId)),
        RelatedRow.Of<GateRecord>(nameof(ReleaseLifecycleState.MutationJobId)),
        RelatedRow.Of<ReleaseRecord>(nameof(ReleaseLifecycleState.ReleaseId)),
        RelatedRow.Of<ReleaseRecord>(nameof(ReleaseLifecycleState.CheckedReleaseId)),
    ];

    /// <summary>Whether sagas of this type load this way here (PostgreSQL, and a saga whose rows are listed).</summary>
    public static bool Applies<TSaga>(PressluftDbContext db) => typeof(TSaga) == typeof(ReleaseLifecycleState) && db.Dialect.IsPostgres;

    /// <summary>The saga of <paramref name="correlationId"/>, tracked (null when there is none), with its rows tracked too.</summary>
    public static async Task<TSaga?> LoadAsync<TSaga>(PressluftDbContext db, Guid correlationId, CancellationToken cancellationToken)
        where TSaga : class
    {
        if (db.FindTracked<TSaga>(correlationId) is { } tracked)
        {
            return tracked;
        }

        var statements = Statements.GetValue(db.Model, model => new LoadStatements(model));
        var rows = new List<(object Row, IRowReader Reader)>();
        await PostgresSql.RunBatchAsync(db,
            statements.Sql.Select(sql => new NpgsqlBatchCommand(sql) { Parameters = { new NpgsqlParameter<Guid> { TypedValue = correlationId } } }),
            async reader =>
            {
                for (var i = 0; i < statements.Readers.Length; i++)
                {
                    if (i > 0 && !await reader.NextResultAsync(cancellationToken))
                    {
                        throw new InvalidOperationException("A statement of the saga's load returned no result");
                    }

                    while (await reader.ReadAsync(cancellationToken))
                    {
                        rows.Add((statements.Readers[i].Read(reader), statements.Readers[i]));
                    }
                }
            }, cancellationToken);

        // Tracked as a query would track them; a row met twice (the saga's release is often the one it checks), or one
        // this unit of work tracks already, once.
        TSaga? saga = null;
        foreach (var (row, reader) in rows)
        {
            if (row is TSaga instance)
            {
                saga = instance;
            }

            if (!reader.IsTracked(db, row))
            {
                db.Attach(row);
            }
        }

        return saga;
    }

    // Built once per model from its metadata (table, column names and type mappings), so the statements follow it.
    private static readonly ConditionalWeakTable<IModel, LoadStatements> Statements = new();

    private sealed class LoadStatements
    {
        public LoadStatements(IModel model)
        {
            var saga = model.FindEntityType(typeof(ReleaseLifecycleState))!;
            var sagaKey = Column(saga.FindPrimaryKey()!.Properties[0]);
            var sagaTable = PostgresSql.Quoted(saga.GetTableName()!);
            var sql = new List<string> { Select(saga, $"{sagaKey} = $1") };
            var readers = new List<IRowReader> { new RowReader<ReleaseLifecycleState>(saga) };
            foreach (var related in ReleaseLifecycleRows)
            {
                var entity = model.FindEntityType(related.Entity)!;
                var key = Column(entity.FindPrimaryKey()!.Properties[0]);
                var sagaColumn = Column(saga.FindProperty(related.SagaProperty)!);
                sql.Add(Select(entity, sagaColumn == sagaKey ? $"{key} = $1" : $"{key} = (SELECT {sagaColumn} FROM {sagaTable} WHERE {sagaKey} = $1)"));
                readers.Add(related.Reader(entity));
            }

            Sql = [.. sql];
            Readers = [.. readers];
        }

        public string[] Sql { get; }

        public IRowReader[] Readers { get; }

        private static string Select(IEntityType entity, string where) =>
            new StringBuilder("SELECT ").AppendJoin(", ", entity.GetProperties().Select(Column))
                .Append(" FROM ").Append(PostgresSql.Quoted(entity.GetTableName()!)).Append(" WHERE ").Append(where).ToString();

        private static string Column(IProperty property) => PostgresSql.Quoted(property.GetColumnName());
    }

    private sealed record RelatedRow(Type Entity, string SagaProperty, Func<IEntityType, IRowReader> Reader)
    {
        public static RelatedRow Of<T>(string sagaProperty)
            where T : class, new() =>
            new(typeof(T), sagaProperty, entity => new RowReader<T>(entity));
    }

    private interface IRowReader
    {
        object Read(NpgsqlDataReader reader);

        /// <summary>Whether the context tracks a row of this type with the key of <paramref name="row"/>.</summary>
        bool IsTracked(PressluftDbContext db, object row);
    }

    /// <summary>One entity from a row of its columns in model order, each value converted as a query converts it.</summary>
    private sealed class RowReader<T> : IRowReader
        where T : class, new()
    {
        private readonly IClrPropertyGetter _key;
        private readonly (System.Reflection.PropertyInfo Member, ValueConverter? Converter)[] _columns;

        public RowReader(IEntityType entity)
        {
            _key = entity.FindPrimaryKey()!.Properties[0].GetGetter();
            _columns = entity.GetProperties()
                .Select(p => (p.PropertyInfo ?? throw new InvalidOperationException($"{entity.DisplayName()}.{p.Name} has no CLR property"),
                    p.GetTypeMapping().Converter))
                .ToArray();
        }

        public object Read(NpgsqlDataReader reader)
        {
            var row = new T();
            for (var i = 0; i < _columns.Length; i++)
            {
                var (member, converter) = _columns[i];
                var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                member.SetValue(row, converter is null || value is null ? value : converter.ConvertFromProvider(value));
            }

            return row;
        }

        public bool IsTracked(PressluftDbContext db, object row) => db.FindTracked<T>((Guid)_key.GetClrValueUsingContainingEntity(row)!) is not null;
    }
}
