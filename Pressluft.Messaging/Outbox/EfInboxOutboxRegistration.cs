using MassTransit;
using MassTransit.Configuration;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Messaging.Outbox;

public static class EfInboxOutboxRegistration
{
    /// <summary>The inbox/outbox storage, the due-time relay, inbox clean-up and the backlog monitor with its sampler.</summary>
    public static IServiceCollection AddEntityFrameworkInboxOutbox(this IServiceCollection services)
    {
        services.AddOptions<OutboxOptions>()
            .BindConfiguration(OutboxOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddScoped<IOutboxContextFactory<PressluftDbContext>, EfOutboxContextFactory>();
        services.TryAddSingleton<DueMessageSignal>();
        services.TryAddSingleton<DeliveryMarks>();
        services.TryAddSingleton<DueMessageRelay>();
        services.TryAddSingleton<InboxCleanupService>();
        services.TryAddSingleton<OutboxMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<DueMessageRelay>());
        services.AddHostedService(sp => sp.GetRequiredService<InboxCleanupService>());
        services.AddHostedService<OutboxBacklogSampler>();
        services.AddHealthChecks().AddCheck<OutboxMonitor>("pressluft-outbox", tags: ["ready"]);
        return services;
    }

    /// <summary>
    /// Puts every consumer and saga message type of the endpoint through the EF inbox/outbox (as core's
    /// <c>UseInMemoryInboxOutbox</c> does for its in-memory store). Configure retry before this.
    /// </summary>
    /// <param name="endpoint">The endpoint.</param>
    /// <param name="context">The registration context.</param>
    /// <param name="onlyUnitOfWork">
    /// Whether the endpoint's consumers change nothing but the unit of work (the saga: its rows, the ledger's and its
    /// outgoing messages). Then a message's first delivery runs without reading its inbox row first: a duplicate (a
    /// publisher's outbox sending again after a crash) fails at the commit on the inbox's key, having changed nothing,
    /// and its retry reads the row and finds the message consumed (only its logs and counters show the run that was
    /// rolled back). Never for a consumer that acts outside the transaction (a playbook run): there a duplicate would
    /// act twice.
    /// </param>
    public static void UseEntityFrameworkInboxOutbox(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context, bool onlyUnitOfWork = false)
    {
        if (onlyUnitOfWork)
        {
            endpoint.UseFilter(new OnlyUnitOfWorkFilter());
        }

        var observer = new OutboxConsumePipeSpecificationObserver<PressluftDbContext>(endpoint, context)
        {
            // Deliver everything one message sent in a single pass; the limit only bounds a pathological fan-out.
            MessageDeliveryLimit = 1000,
        };
        endpoint.ConnectConsumerConfigurationObserver(observer);
        endpoint.ConnectSagaConfigurationObserver(observer);
    }

    /// <summary>Marks the endpoint's messages as consumed only within the unit of work (see <see cref="OnlyUnitOfWork"/>).</summary>
    private sealed class OnlyUnitOfWorkFilter : IFilter<ConsumeContext>
    {
        public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
        {
            context.GetOrAddPayload(() => OnlyUnitOfWork.Instance);
            return next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("onlyUnitOfWork");
    }
}

/// <summary>
/// On a consume context: the endpoint's consumers change nothing but the unit of work, so a first delivery need not read
/// its inbox row before it runs (<see cref="EfInboxOutboxRegistration.UseEntityFrameworkInboxOutbox"/>).
/// </summary>
public sealed class OnlyUnitOfWork
{
    public static readonly OnlyUnitOfWork Instance = new();

    private OnlyUnitOfWork()
    {
    }
}
