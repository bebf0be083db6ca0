using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Sagas.StateMachines;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// <c>mutation-intake</c>, the front door for <see cref="MutationCompleted"/>: the only endpoint bound to
/// <c>pressluft.mutation-completed</c>. It takes MassTransit envelopes and plain JSON from any publisher
/// (<see cref="MutationJsonDeserializer"/>). The saga runs here for this one event: the door
/// (<see cref="MutationIntakeDoor"/>: the type and the field rules) and then, in the saga's unit of work, the ledger's
/// rules (the saga's admission) refuse a bad event into <c>mutation-intake_error</c> with the reason, and a good one
/// opens its gate at once, with no second trip through the broker to the saga's queue. Everything else the saga hears
/// (answers, deadlines, resets) comes to its own queue.
/// </summary>
public static class MutationIntake
{
    public const string QueueName = "mutation-intake";

    /// <summary>
    /// The registered endpoints (<c>ConfigureEndpoints</c>), then <c>mutation-intake</c> when the gate is registered
    /// (after them: an endpoint configured first would keep the saga from its own queue).
    /// </summary>
    public static void ConfigureGateEndpoints<T>(this IBusFactoryConfigurator<T> bus, IBusRegistrationContext context)
        where T : IReceiveEndpointConfigurator
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(context);
        bus.ConfigureEndpoints(context);
        if (context.GetService(typeof(SagaStateMachine<ReleaseLifecycleState>)) is null)
        {
            return;
        }

        bus.ReceiveEndpoint(QueueName, endpoint =>
        {
            // What every endpoint of the bus gets (the concurrency limit), as ConfigureEndpoints applies it.
            context.GetConfigureReceiveEndpoints().Configure(QueueName, endpoint);
            endpoint.AddDeserializer(new MutationJsonDeserializer());
            // First, before everything the saga definition adds: only a valid mutation goes further.
            endpoint.UseFilter(new MutationIntakeDoor(context.GetServices<IMessageValidator<MutationCompleted>>().ToList()));
            // The rest (topology, retry, the unit of work, the filters) is the saga definition's, for this endpoint.
            endpoint.ConfigureSaga<ReleaseLifecycleState>(context);
        });
    }

    /// <summary>Whether <paramref name="endpoint"/> is this one.</summary>
    public static bool Is(IReceiveEndpointConfigurator endpoint) =>
        endpoint.InputAddress.AbsolutePath.TrimEnd('/').EndsWith("/" + QueueName, StringComparison.Ordinal);
}
