using MassTransit;
using Pressluft.Contracts;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.StateMachines;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// The saga's endpoints: its own queue, and <c>mutation-intake</c> for <see cref="MutationCompleted"/> (see
/// <see cref="MutationIntake"/>). On both: messages partitioned by environment, retry (never for rejected messages),
/// the storage's inbox/outbox, validation (on the intake by its door, first).
/// </summary>
public sealed class ReleaseLifecycleSagaDefinition : SagaDefinition<ReleaseLifecycleState>
{
    /// <summary>The saga's queue: answers, deadlines and resets.</summary>
    public const string QueueName = "release-lifecycle";

    /// <summary>The saga's queue as a send address.</summary>
    public static readonly Uri SagaQueue = new($"queue:{QueueName}");

    public ReleaseLifecycleSagaDefinition()
    {
        Endpoint(e => e.Name = QueueName);
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<ReleaseLifecycleState> sagaConfigurator,
        IRegistrationContext context)
    {
        var intake = MutationIntake.Is(endpointConfigurator);
        // Retry comes first, so each attempt gets a fresh scope and DbContext. A ledger that is away (a database
        // restarting or stopped) is waited out for minutes: no answer or event may land in an error queue for that.
        // Concurrency conflicts on the saga row (two messages for one environment) and lost insert races are retried;
        // rejected messages never are.
        endpointConfigurator.UseLedgerOutageRetry();
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<RejectedMessageException>();
            r.Ignore<Exception>(StorageFailures.IsOutage);
            if (intake)
            {
                r.Intervals(20, 100, 500, 1000, 2000, 5000, 10000);
            }
            else
            {
                r.Exponential(10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(50));
            }
        });
        if (intake)
        {
            // Bound to pressluft.mutation-completed only: the saga's other events must not be routed here as well.
            foreach (var type in EventTypes(context).Where(t => t != typeof(MutationCompleted)))
            {
                endpointConfigurator.ConfigureMessageTopology(type, false);
            }
        }
        else
        {
            // Mutation events reach the saga through mutation-intake, which checks them; its own queue is not bound to the
            // public exchange.
            endpointConfigurator.ConfigureMessageTopology<MutationCompleted>(false);
        }

        endpointConfigurator.UseConsumeFilter(typeof(EnvironmentPartitionFilter<>), context);
        // Everything the saga does is in its unit of work: a first delivery runs without reading its inbox row first.
        endpointConfigurator.UseEntityFrameworkInboxOutbox(context, onlyUnitOfWork: true);
        if (!intake)
        {
            // On the intake its door (MutationIntakeDoor) has checked the fields already, before all of this.
            endpointConfigurator.UseConsumeFilter(typeof(MessageValidationFilter<>), context);
        }
    }

    // The message type of each event the state machine consumes.
    private static IEnumerable<Type> EventTypes(IRegistrationContext context) =>
        ((SagaStateMachine<ReleaseLifecycleState>)context.GetService(typeof(SagaStateMachine<ReleaseLifecycleState>))!).Events
        .SelectMany(e => e.GetType().GetInterfaces())
        .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(Event<>))
        .Select(i => i.GetGenericArguments()[0])
        .Distinct();
}
