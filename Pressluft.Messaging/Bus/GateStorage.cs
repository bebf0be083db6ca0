using MassTransit;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// Where the saga's state and the inbox/outbox live: the one place the storage is chosen. For now MassTransit's
/// in-memory saga repository and inbox/outbox; the EF Core ones replace them here.
/// </summary>
public static class GateStorage
{
    public static void AddStorage(IBusRegistrationConfigurator configurator)
    {
        configurator.AddInMemoryInboxOutbox();
    }

    public static void ConfigureRepository(ISagaRegistrationConfigurator<ReleaseLifecycleState> saga)
    {
        saga.InMemoryRepository();
    }

    public static void ConfigureEndpoint(IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        endpoint.UseInMemoryInboxOutbox(context);
    }
}
