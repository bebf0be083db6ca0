using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// An endpoint that runs playbooks. A playbook's own failures are not retried in process (an inconclusive answer is
/// retried by the saga); a failure of the ledger is, within seconds (a lost race between two deliveries of the same
/// message, which then finds the message consumed, or any other database error), and a ledger that is away is waited
/// out for minutes (<see cref="LedgerOutageRetry"/>). A database error at the commit runs the job again on its retry.
/// How many jobs it takes at once (and so how many RabbitMQ hands it ahead) is the endpoint's own, from
/// <see cref="AnsibleOptions"/>, not the transport's general limit: a job mostly waits on its playbook.
/// </summary>
public abstract class PlaybookConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected PlaybookConsumerDefinition(string endpointName)
    {
        EndpointName = endpointName;
    }

    /// <summary>Jobs this endpoint runs at once.</summary>
    protected abstract int ConcurrentJobs(AnsibleOptions settings);

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Here, after the transport-wide limit the endpoints callback set, so this one wins.
        var jobs = ConcurrentJobs(context.GetRequiredService<IOptions<AnsibleOptions>>().Value);
        endpointConfigurator.ConcurrentMessageLimit = jobs;
        endpointConfigurator.PrefetchCount = jobs;

        // A ledger that is away (the inbox read or the commit fails) must not send a request to _error: wait it out.
        endpointConfigurator.UseLedgerOutageRetry();
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<Exception>(StorageFailures.Is);
            r.Ignore<Exception>(StorageFailures.IsOutage);
            r.Intervals(100, 500, 1000, 2000, 5000, 10000);
        });
        endpointConfigurator.UseEntityFrameworkInboxOutbox(context);
    }
}
