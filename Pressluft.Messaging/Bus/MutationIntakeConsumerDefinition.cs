using MassTransit;
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
            // A ledger that cannot be read (a database restarting) is waited out; a refused event is not retried.
            r.Ignore<RejectedMessageException>();
            r.Intervals(100, 500, 1000, 2000, 5000, 10000);
        });
        endpointConfigurator.UseConsumeFilter(typeof(MessageValidationFilter<>), context);
    }
}
