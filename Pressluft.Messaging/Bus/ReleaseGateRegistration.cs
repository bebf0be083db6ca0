using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Ledger;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Sagas;
using Pressluft.Sagas.Gate;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.StateMachines;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

public static class ReleaseGateRegistration
{
    /// <summary>Exists only to have <see cref="GuardedConfig"/> created (and so checked) when the host validates its options at start.</summary>
    private sealed class GuardedConfigStartCheck;

    /// <summary>The gate's scoped services (ledger, gate, rollback rules) and its options from <c>Pressluft:HealthGate</c>.</summary>
    public static IServiceCollection AddReleaseGateServices(this IServiceCollection services, IConfiguration configuration)
    {
        // The guarded config is read through GuardedConfig, which keeps the last good values on a bad reload. Creating it
        // checks the values: resolving it while the start-up options are validated stops a host with a bad value before
        // anything starts, naming the key.
        services.TryAddSingleton<GuardedConfig>();
        services.AddOptions<GuardedConfigStartCheck>().Configure<GuardedConfig>((_, _) => { }).ValidateOnStart();
        services.AddOptions<MessagingOptions>()
            .Bind(configuration.GetSection(MessagingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EnvironmentPartitions>();
        services.AddScoped<EfReleaseLedger>();
        services.AddScoped<IReleaseLedger>(sp => sp.GetRequiredService<EfReleaseLedger>());
        services.AddScoped<ICommitParticipant>(sp => sp.GetRequiredService<EfReleaseLedger>());
        services.AddScoped<RollbackTargetSelector>();
        services.AddScoped<MutationAdmission>();
        services.AddScoped<GateLifecycle>();
        services.AddScoped<HealthCheckJobs>();
        services.AddScoped<RollbackJobs>();
        services.AddScoped<EnvironmentReset>();
        services.AddScoped<OutboxDeadlines>();
        services.AddScoped<IDeadlines>(sp => sp.GetRequiredService<OutboxDeadlines>());
        services.AddScoped<ICommitParticipant>(sp => sp.GetRequiredService<OutboxDeadlines>());
        services.AddSingleton<IMessageValidator<MutationCompleted>, MutationCompletedValidator>();
        services.AddSingleton<IMessageValidator<ResetEnvironment>, ResetEnvironmentValidator>();
        return services;
    }

    /// <summary>
    /// The release-lifecycle saga and the intake endpoint mutation events arrive through. The ledger database holds the
    /// saga's state and the inbox/outbox too (our EF Core repository and inbox/outbox), so one transition is one
    /// transaction; each endpoint definition puts its endpoint through that inbox/outbox.
    /// </summary>
    public static IBusRegistrationConfigurator AddReleaseGate(this IBusRegistrationConfigurator configurator)
    {
        configurator.AddEntityFrameworkInboxOutbox();
        configurator.AddSagaStateMachine<ReleaseLifecycleStateMachine, ReleaseLifecycleState, ReleaseLifecycleSagaDefinition>()
            .EntityFrameworkRepository();
        return configurator;
    }
}
