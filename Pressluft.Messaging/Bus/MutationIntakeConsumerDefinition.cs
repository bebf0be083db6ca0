using MassTransit;
using Microsoft.EntityFrameworkCore;
using Pressluft.Messaging.Outbox;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// <c>mutation-intake</c>: plain JSON (<c>application/json</c>) is read as <see cref="Contracts.MutationCompleted"/>,
/// the only type this endpoint consumes, so a message without MassTransit's envelope can never be mistaken for another.
/// </summary>
public sealed class MutationIntakeConsumerDefinition : ConsumerDefinition<MutationIntakeConsumer>
{
    public MutationIntakeConsumerDefinition()
    {
        EndpointName = "mutation-intake";
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<MutationIntakeConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType | RawSerializerOptions.CopyHeaders, isDefault: false);
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<RejectedMessageException>();
            r.Handle<DbUpdateException>();
            r.Intervals(100, 500, 1000);
        });
        endpointConfigurator.UseEntityFrameworkInboxOutbox(context);
        endpointConfigurator.UseConsumeFilter(typeof(MessageValidationFilter<>), context);
    }
}
