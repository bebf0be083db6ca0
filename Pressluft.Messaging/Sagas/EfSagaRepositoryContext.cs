using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Sagas;

/// <summary>
/// The per-message unit of work of <see cref="EfSagaRepositoryContextFactory{TSaga}"/>: loads the instance tracked,
/// stages inserts, updates (bumping <see cref="ISagaVersion.Version"/>, the optimistic concurrency token) and deletes.
/// It saves only when it <c>commits</c>: not when an inbox/outbox (<see cref="Outbox.IInboxOutboxTransaction"/>) owns the commit.
/// </summary>
public sealed class EfSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
{
    private readonly PressluftDbContext _db;
    private readonly ConsumeContext<TMessage> _context;
    private readonly ISagaConsumeContextFactory<PressluftDbContext, TSaga> _factory;
    private readonly bool _commits;

    public EfSagaRepositoryContext(PressluftDbContext db, ConsumeContext<TMessage> context, ISagaConsumeContextFactory<PressluftDbContext, TSaga> factory,
        bool commits)
        : base(context, db)
    {
        _db = db;
        _context = context;
        _factory = factory;
        _commits = commits;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        StampNew(instance);
        _db.Set<TSaga>().Add(instance);
        try
        {
            await SaveIfCommittingAsync();
        }
        catch (DbUpdateException)
        {
            // Another message created it first; the caller loads it instead.
            _db.Entry(instance).State = EntityState.Detached;
            return null!;
        }

        return await _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = SagaRowsLoader.Applies<TSaga>(_db)
            ? await SagaRowsLoader.LoadAsync<TSaga>(_db, correlationId, CancellationToken)
            : await _db.FindByKeyAsync<TSaga>(correlationId, CancellationToken);
        return instance is null ? null! : await _factory.CreateSagaConsumeContext(_db, _context, instance, SagaConsumeContextMode.Load);
    }

    public Task Save(SagaConsumeContext<TSaga> context)
    {
        StampNew(context.Saga);
        _db.Set<TSaga>().Add(context.Saga);
        return SaveIfCommittingAsync();
    }

    public Task Update(SagaConsumeContext<TSaga> context)
    {
        if (context.Saga is ISagaVersion versioned)
        {
            versioned.Version++;
        }

        return SaveIfCommittingAsync();
    }

    public Task Delete(SagaConsumeContext<TSaga> context)
    {
        _db.Set<TSaga>().Remove(context.Saga);
        return SaveIfCommittingAsync();
    }

    public Task Discard(SagaConsumeContext<TSaga> context)
    {
        var entry = _db.Entry(context.Saga);
        if (entry.State == EntityState.Added)
        {
            entry.State = EntityState.Detached;
        }

        return Task.CompletedTask;
    }

    public Task Undo(SagaConsumeContext<TSaga> context)
    {
        var entry = _db.Entry(context.Saga);
        if (entry.State == EntityState.Added)
        {
            entry.State = EntityState.Detached;
        }
        else if (entry.State != EntityState.Detached)
        {
            entry.CurrentValues.SetValues(entry.OriginalValues);
            entry.State = EntityState.Unchanged;
        }

        return Task.CompletedTask;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_db, consumeContext, instance, mode);

    private static void StampNew(TSaga instance)
    {
        if (instance is ISagaVersion { Version: 0 } versioned)
        {
            versioned.Version = 1;
        }
    }

    private Task SaveIfCommittingAsync() =>
        _commits ? _db.SaveChangesAsync(CancellationToken) : Task.CompletedTask;
}
