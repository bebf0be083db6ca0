using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Pressluft.Messaging.Outbox;

namespace Pressluft.Messaging.Persistence;

/// <summary>
/// <c>FindAsync</c> by a Guid primary key without its per-call query cost. EF's <c>FindAsync</c> builds a new query
/// expression on every call whose key value sits behind an indexer, so each call funcletizes the tree, compiles a
/// small delegate to read the key and looks the query up in the cache by shape: the profile of one consumed message
/// showed that as a leading cost of the ledger's reads. Here the query is compiled once per entity type and
/// model (<see cref="EF.CompileAsyncQuery{TContext,TParam1,TResult}(Expression{Func{TContext,TParam1,CancellationToken,TResult}})"/>);
/// the semantics stay <c>FindAsync</c>'s: an entity the context already tracks is returned without a query, otherwise
/// the row is loaded and tracked.
/// </summary>
public static class KeyLookup
{
    public static async Task<T?> FindByKeyAsync<T>(this PressluftDbContext db, Guid key, CancellationToken cancellationToken)
        where T : class
    {
        // The tracked entity first, as FindAsync does.
        return db.FindTracked<T>(key) ?? await Query<T>.For(db)(db, key, cancellationToken);
    }

    /// <summary>The entity of this key that the context tracks (loaded or added), without a query; null when none.</summary>
    public static T? FindTracked<T>(this PressluftDbContext db, Guid key)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(db);

        // DbSet.Local would run DetectChanges on every call; finding an entry by key does not need it.
        var tracker = db.ChangeTracker;
        var detect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            return db.Set<T>().Local.FindEntry(key)?.Entity;
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detect;
        }
    }

    /// <summary>The inbox row of (message id, consumer id), untracked: the inbox/outbox reads it once per consumed message.</summary>
    public static Task<InboxState?> InboxRowAsync(PressluftDbContext db, Guid messageId, Guid consumerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return InboxQueries.GetValue(db.Model, model => EF.CompileAsyncQuery((PressluftDbContext context, Guid message, Guid consumer, CancellationToken token) =>
            context.InboxStates.AsNoTracking().SingleOrDefault(i => i.MessageId == message && i.ConsumerId == consumer)))(db, messageId, consumerId, cancellationToken);
    }

    // A compiled query refuses a context of another model (SQLite and PostgreSQL in one test process): one per model.
    private static readonly ConditionalWeakTable<IModel, Func<PressluftDbContext, Guid, Guid, CancellationToken, Task<InboxState?>>> InboxQueries = new();

    /// <summary>A job's status and attempt count, untracked, or null: a runner reads them once per job it receives.</summary>
    public static async Task<(string Status, int AttemptCount)?> JobProgressAsync(PressluftDbContext db, Guid jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var job = await JobQueries.GetValue(db.Model, model => EF.CompileAsyncQuery((PressluftDbContext context, Guid id, CancellationToken token) =>
            context.Jobs.AsNoTracking().Where(j => j.Id == id).Select(j => new JobProgress(j.Status, j.AttemptCount)).SingleOrDefault()))(db, jobId, cancellationToken);
        return job is null ? null : (job.Status, job.AttemptCount);
    }

    private static readonly ConditionalWeakTable<IModel, Func<PressluftDbContext, Guid, CancellationToken, Task<JobProgress?>>> JobQueries = new();

    private sealed record JobProgress(string Status, int AttemptCount);

    private static class Query<T>
        where T : class
    {
        // Compiled on first use for each model (a compiled query refuses a context of another model), with the key's name
        // from that model.
        private static readonly ConditionalWeakTable<IModel, Func<PressluftDbContext, Guid, CancellationToken, Task<T?>>> Compiled = new();

        public static Func<PressluftDbContext, Guid, CancellationToken, Task<T?>> For(PressluftDbContext context) =>
            Compiled.GetValue(context.Model, model => Compile(model.FindEntityType(typeof(T))?.FindPrimaryKey()?.Properties is [{ ClrType: var type, Name: var name }] && type == typeof(Guid)
                ? name
                : throw new InvalidOperationException($"{typeof(T).Name} has no single Guid key")));

        // db.Set<T>().FirstOrDefault(e => EF.Property<Guid>(e, "<key>") == key)
        private static Func<PressluftDbContext, Guid, CancellationToken, Task<T?>> Compile(string keyName)
        {
            var db = Expression.Parameter(typeof(PressluftDbContext), "db");
            var key = Expression.Parameter(typeof(Guid), "key");
            var token = Expression.Parameter(typeof(CancellationToken), "cancellationToken");
            var entity = Expression.Parameter(typeof(T), "e");
            var set = Expression.Call(db, nameof(DbContext.Set), [typeof(T)]);
            var property = Expression.Call(typeof(EF), nameof(EF.Property), [typeof(Guid)], entity, Expression.Constant(keyName));
            var predicate = Expression.Lambda<Func<T, bool>>(Expression.Equal(property, key), entity);
            var body = Expression.Call(typeof(Queryable), nameof(Queryable.FirstOrDefault), [typeof(T)], set, Expression.Quote(predicate));
            var query = Expression.Lambda<Func<PressluftDbContext, Guid, CancellationToken, T?>>(body, db, key, token);
            return EF.CompileAsyncQuery(query)!;
        }
    }
}
