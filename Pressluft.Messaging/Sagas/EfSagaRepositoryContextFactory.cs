using System.Data;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Sagas;

/// <summary>
/// A saga repository on the message scope's <see cref="PressluftDbContext"/>, for MassTransit core's
/// <c>DependencyInjectionSagaRepository</c>. Inside the EF inbox/outbox it only stages changes (the outbox commits the
/// saga row, the ledger and the outgoing messages together); on its own it wraps the message in a ReadCommitted
/// transaction. Conflicts surface as <see cref="DbUpdateConcurrencyException"/> for the endpoint's retry.
/// </summary>
public sealed class EfSagaRepositoryContextFactory<TSaga>(
    PressluftDbContext db,
    ISagaConsumeContextFactory<PressluftDbContext, TSaga> factory)
    : ISagaRepositoryContextFactory<TSaga>, IQuerySagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    public Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class =>
        InUnitOfWork(context, commits => next.Send(new EfSagaRepositoryContext<TSaga, T>(db, context, factory, commits)));

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        InUnitOfWork(context, async commits =>
        {
            // Tracked, so the instances found are the ones later updated (an untracked query makes false conflicts).
            var instances = await db.Set<TSaga>().Where(query.FilterExpression).ToListAsync(context.CancellationToken);
            var repositoryContext = new EfSagaRepositoryContext<TSaga, T>(db, context, factory, commits);
            await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repositoryContext, instances));
        });

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class => asyncMethod(new ReadContext(db, cancellationToken));

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class => asyncMethod(new ReadContext(db, cancellationToken));

    public void Probe(ProbeContext context)
    {
        context.Add("persistence", "efcore");
        context.Add("provider", db.Database.ProviderName ?? "unknown");
    }

    // Under the inbox/outbox the repository only stages (the outbox commits); on its own it owns a ReadCommitted
    // transaction around the message, and the repository context commits each change itself.
    private async Task InUnitOfWork(ConsumeContext context, Func<bool, Task> work)
    {
        if (context.TryGetPayload(out IInboxOutboxTransaction? _))
        {
            await work(false);
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        try
        {
            await work(true);
            await db.SaveChangesAsync(context.CancellationToken);
            await transaction.CommitAsync(context.CancellationToken);
        }
        catch
        {
            db.ChangeTracker.Clear();
            throw;
        }
    }

    /// <summary>Untracked reads for the harness and <c>ILoadSagaRepository</c> / <c>IQuerySagaRepository</c>.</summary>
    private sealed class ReadContext(PressluftDbContext db, CancellationToken cancellationToken)
        : BasePipeContext(cancellationToken), LoadSagaRepositoryContext<TSaga>, QuerySagaRepositoryContext<TSaga>
    {
        public async Task<TSaga> Load(Guid correlationId) =>
            (await db.Set<TSaga>().AsNoTracking().SingleOrDefaultAsync(x => x.CorrelationId == correlationId, CancellationToken))!;

        public async Task<SagaRepositoryQueryContext<TSaga>> Query(ISagaQuery<TSaga> query, CancellationToken cancellationToken)
        {
            var ids = await db.Set<TSaga>().AsNoTracking().Where(query.FilterExpression).Select(x => x.CorrelationId).ToListAsync(cancellationToken);
            return new DefaultSagaRepositoryQueryContext<TSaga>(this, ids);
        }
    }
}
