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
    public static void UseEntityFrameworkInboxOutbox(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var observer = new OutboxConsumePipeSpecificationObserver<PressluftDbContext>(endpoint, context)
        {
            // Deliver everything one message sent in a single pass; the limit only bounds a pathological fan-out.
            MessageDeliveryLimit = 1000,
        };
        endpoint.ConnectConsumerConfigurationObserver(observer);
        endpoint.ConnectSagaConfigurationObserver(observer);
    }
}
