using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Http;
using Pressluft.Runner.Telemetry;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting.Json;
using Serilog.Settings.Configuration;

namespace Pressluft.Runner.Hosting;

/// <summary>
/// The service's Generic Host: configuration (appsettings.json, environment variables such as
/// <c>Pressluft__Transport__Kind</c>, overrides), Serilog, validated options, migrations at start, the bus.
/// Nothing configured means the embedded default: the in-memory bus and a SQLite file.
/// </summary>
public static class RunnerHost
{
    /// <param name="overrides">Settings that win over appsettings.json and the environment.</param>
    /// <param name="endpoints">Extra consumers (the demo's narrator).</param>
    /// <param name="service">False for CLI verbs that only read the ledger or publish: no endpoints, no migrations.</param>
    /// <param name="cli">A CLI verb: logs go to standard error, so standard output stays the verb's own (tables or JSON).</param>
    public static HostApplicationBuilder CreateBuilder(IDictionary<string, string?>? overrides = null, Action<IBusRegistrationConfigurator>? endpoints = null,
        bool service = true, bool cli = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        ServiceConfiguration.Apply(builder.Configuration);

        var configuration = builder.Configuration;
        builder.Services.AddSerilog((_, logger) =>
        {
            // Sinks named in the configuration are looked up in the console sink's assembly only, not in every assembly
            // the application's dependency file lists (which loads and reads them all at every start).
            logger.ReadFrom.Configuration(configuration, new ConfigurationReaderOptions(typeof(ConsoleLoggerConfigurationExtensions).Assembly))
                .Enrich.FromLogContext().Enrich.With<SecretRedactionEnricher>();
            LogEventLevel? toStandardError = cli ? LogEventLevel.Verbose : null;
            if (string.Equals(configuration["Pressluft:Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
            {
                logger.WriteTo.Sink(LoggerSinkConfiguration.Wrap(sink => new ExpectedFailureSink(sink),
                    (LoggerSinkConfiguration to) => to.Console(new JsonFormatter(renderMessage: true), standardErrorFromLevel: toStandardError)));
            }
            else
            {
                logger.WriteTo.Sink(LoggerSinkConfiguration.Wrap(sink => new ExpectedFailureSink(sink),
                    (LoggerSinkConfiguration to) => to.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                        standardErrorFromLevel: toStandardError)));
            }
        });

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        builder.Services.AddPressluftRunner(configuration);
        var ledger = configuration.GetSection(LedgerOptions.SectionName).Get<LedgerOptions>() ?? new LedgerOptions();
        if (service && ledger.MigrateOnStart)
        {
            builder.Services.AddHostedService<LedgerMigrator>();
        }

        if (service)
        {
            builder.Services.AddHostedService<JobFolderCleanup>();
        }

        builder.Services.AddPressluftBus(configuration, endpoints, endpoints: service);
        builder.Services.AddPressluftTelemetry(configuration);
        if (service)
        {
            // After the bus: hosted services start in order, and the intake publishes.
            builder.Services.AddPressluftHttp(configuration);
        }

        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);

            // In-flight playbooks are cancelled on shutdown; their messages go back to the queue for another runner.
            o.StopTimeout = TimeSpan.FromSeconds(30);
            o.ConsumerStopTimeout = TimeSpan.FromSeconds(20);
        });
        return builder;
    }
}
