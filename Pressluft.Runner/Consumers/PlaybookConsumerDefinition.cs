using MassTransit;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Outbox;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// An endpoint that runs playbooks. Playbook runs are not retried in process (an inconclusive answer is retried by the
/// saga); only a lost race between two deliveries of the same message is, and it then finds the message consumed.
/// </summary>
public abstract class PlaybookConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected PlaybookConsumerDefinition(string endpointName)
    {
        EndpointName = endpointName;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<DbUpdateException>();
            // A database restarting (the inbox read or commit fails) must not send a request to _error: wait it out.
            r.Handle<Npgsql.NpgsqlException>();
            r.Intervals(100, 500, 1000, 2000, 5000, 10000);
        });
        endpointConfigurator.UseEntityFrameworkInboxOutbox(context);
    }
}
