using MassTransit;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Sagas;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// Where the saga's state and the inbox/outbox live: the one place the storage is chosen. The ledger database holds
/// both (our EF Core saga repository and inbox/outbox), so one saga transition is one transaction.
/// </summary>
public static class GateStorage
{
    public static void AddStorage(IBusRegistrationConfigurator configurator) => configurator.AddEntityFrameworkInboxOutbox();

    public static void ConfigureRepository(ISagaRegistrationConfigurator<ReleaseLifecycleState> saga) => saga.EntityFrameworkRepository();

    public static void ConfigureEndpoint(IReceiveEndpointConfigurator endpoint, IRegistrationContext context) =>
        endpoint.UseEntityFrameworkInboxOutbox(context);
}
