using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pressluft.Contracts;
using Pressluft.Messaging.Ledger;
using Pressluft.Sagas.Gate;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.StateMachines;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

public static class ReleaseGateRegistration
{
    /// <summary>The gate's scoped services (ledger, gate, rollback rules) and its options from <c>Pressluft:HealthGate</c>.</summary>
    public static IServiceCollection AddReleaseGateServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HealthGateOptions>()
            .Bind(configuration.GetSection(HealthGateOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.Operations.Keys.All(JobTypes.IsGated), $"{HealthGateOptions.SectionName}:Operations may only name gated job types ({string.Join(", ", JobTypes.Gated)})")
            .ValidateOnStart();
        services.AddOptions<MessagingOptions>()
            .Bind(configuration.GetSection(MessagingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<IReleaseLedger, EfReleaseLedger>();
        services.AddScoped<RollbackTargetSelector>();
        services.AddScoped<ReleaseGate>();
        services.AddSingleton<IMessageValidator<MutationCompleted>, MutationCompletedValidator>();
        services.AddSingleton<IMessageValidator<ResetEnvironment>, ResetEnvironmentValidator>();
        return services;
    }

    /// <summary>The release-lifecycle saga with its storage, and the intake endpoint mutation events arrive through.</summary>
    public static IBusRegistrationConfigurator AddReleaseGate(this IBusRegistrationConfigurator configurator)
    {
        GateStorage.AddStorage(configurator);
        configurator.AddConsumer<MutationIntakeConsumer, MutationIntakeConsumerDefinition>();
        GateStorage.ConfigureRepository(
            configurator.AddSagaStateMachine<ReleaseLifecycleStateMachine, ReleaseLifecycleState, ReleaseLifecycleSagaDefinition>());
        return configurator;
    }
}
