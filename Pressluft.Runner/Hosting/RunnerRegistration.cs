using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Ansible;
using Pressluft.Contracts;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Telemetry;
using Pressluft.Sagas.Validation;

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
        services.AddSingleton<HealthCheckBatcher>();
        services.AddSingleton<IEnvironmentLocks>(sp => ledger.Provider == LedgerProvider.Postgres
            ? new PostgresEnvironmentLocks(ledger.ConnectionString, sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<PostgresEnvironmentLocks>>())
            : new InProcessEnvironmentLocks());
        services.AddScoped<JobAdmission>();
        services.AddScoped<JobEntrance>();
        services.AddSingleton<IMessageValidator<MutationCompleted>, ReleasePathValidator>();
        return services;
    }

    /// <summary>The saga and the playbook consumers, with kebab-case endpoint names.</summary>
    public static IBusRegistrationConfigurator AddPressluftEndpoints(this IBusRegistrationConfigurator configurator)
    {
        configurator.SetKebabCaseEndpointNameFormatter();
        configurator.AddReleaseGate();
        configurator.AddConsumer<HealthCheckConsumer, HealthCheckConsumerDefinition>();
        configurator.AddConsumer<ReleaseRollbackConsumer, ReleaseRollbackConsumerDefinition>();
        configurator.AddConfigureEndpointsCallback(TelemetryRegistration.TracePlaybookRuns);
        return configurator;
    }

    /// <summary>
    /// The bus from <c>Pressluft:Transport</c>: RabbitMQ (publisher confirms, prefetch and concurrency from
    /// configuration) or the in-memory bus. Scheduled messages never reach the broker: the outbox turns them into
    /// due-time rows for the relay.
    /// </summary>
    public static IServiceCollection AddPressluftBus(this IServiceCollection services, IConfiguration configuration,
        Action<IBusRegistrationConfigurator>? configure = null, bool endpoints = true)
    {
        var transport = configuration.GetSection(TransportOptions.SectionName).Get<TransportOptions>() ?? new TransportOptions();
        services.AddOptions<TransportOptions>()
            .Bind(configuration.GetSection(TransportOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services.AddMassTransit(x =>
        {
            x.ConfigureUsageTelemetryOptions(o => o.Enabled = transport.MassTransitUsageTelemetry);
            if (endpoints)
            {
                x.AddPressluftEndpoints();
                var started = new BusStartGate();
                services.AddBusObserver(_ => started);
                x.AddConfigureEndpointsCallback((_, _, cfg) =>
                {
                    cfg.ConcurrentMessageLimit = transport.ConcurrentMessageLimit;
                    // No endpoint consumes before every endpoint is bound: what it publishes must find its queue.
                    cfg.UseFilter(started.Filter);
                });
            }

            configure?.Invoke(x);
            if (transport.Kind == TransportKind.RabbitMq && Uri.TryCreate(transport.RabbitMqUrl, UriKind.Absolute, out var url))
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(url, h => h.PublisherConfirmation = true);
                    cfg.PrefetchCount = transport.PrefetchCount;
                    cfg.UseDelayedMessageScheduler();
                    ContractTopology.Apply(cfg);
                    cfg.ConfigureGateEndpoints(context);
                });
            }
            else
            {
                if (endpoints)
                {
                    // In-memory queues die with the process: gates waiting for an answer send their request again at start.
                    services.AddHostedService<GateResumption>();
                }

                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UseDelayedMessageScheduler();
                    ContractTopology.Apply(cfg);
                    cfg.ConfigureGateEndpoints(context);
                });
            }
        });
    }
}
