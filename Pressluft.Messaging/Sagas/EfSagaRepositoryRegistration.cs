using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Sagas;

public static class EfSagaRepositoryRegistration
{
    /// <summary>Stores <typeparamref name="TSaga"/> in the ledger database with <see cref="EfSagaRepositoryContextFactory{TSaga}"/>.</summary>
    public static ISagaRegistrationConfigurator<TSaga> EntityFrameworkRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> saga)
        where TSaga : class, ISaga =>
        saga.Repository(services =>
        {
            services.RegisterSagaRepository<TSaga, PressluftDbContext, SagaConsumeContextFactory<PressluftDbContext, TSaga>, EfSagaRepositoryContextFactory<TSaga>>();
            services.RegisterQuerySagaRepository<TSaga, EfSagaRepositoryContextFactory<TSaga>>();
            services.RegisterLoadSagaRepository<TSaga, EfSagaRepositoryContextFactory<TSaga>>();
        });
}
