using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Consumers;

namespace Pressluft.Runner.Hosting;

/// <summary>How the runner is composed; the host, the demo and the tests all go through these methods.</summary>
public static class RunnerRegistration
{
    /// <summary>Ledger, gate services and the Ansible runner, from configuration.</summary>
    public static IServiceCollection AddPressluftRunner(this IServiceCollection services, IConfiguration configuration)
    {
        var ledger = configuration.GetSection(LedgerOptions.SectionName).Get<LedgerOptions>() ?? new LedgerOptions();
        services.AddPressluftLedger(ledger);
        services.AddReleaseGateServices(configuration);
        services.AddOptions<AnsibleOptions>()
            .Bind(configuration.GetSection(AnsibleOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<AnsiblePlaybookRunner>();
        return services;
    }

    /// <summary>The saga and the playbook consumers, with kebab-case endpoint names.</summary>
    public static IBusRegistrationConfigurator AddPressluftEndpoints(this IBusRegistrationConfigurator configurator)
    {
        configurator.SetKebabCaseEndpointNameFormatter();
        configurator.AddReleaseGate();
        configurator.AddConsumer<HealthCheckConsumer, HealthCheckConsumerDefinition>();
        configurator.AddConsumer<ReleaseRollbackConsumer, ReleaseRollbackConsumerDefinition>();
        return configurator;
    }

    /// <summary>The embedded default transport: MassTransit's in-memory bus, with its native delayed delivery for deadlines.</summary>
    public static IServiceCollection AddPressluftInMemoryBus(this IServiceCollection services, Action<IBusRegistrationConfigurator>? configure = null) =>
        services.AddMassTransit(x =>
        {
            x.AddPressluftEndpoints();
            configure?.Invoke(x);
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                ContractTopology.Apply(cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
}
