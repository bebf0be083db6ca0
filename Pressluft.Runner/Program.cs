using Pressluft.Runner.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

// Piped output (CI logs, `| less`) gets a width that fits the tables instead of the 80-column fallback.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 160;
}

var verbose = args.Contains("--verbose");
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("pressluft");
    config.SetApplicationVersion(CliHelp.Version);
    config.UseStrictParsing();
    config.SetInterceptor(new CliSession());
    config.SetHelpProvider(new CliHelp(config.Settings));
    config.SetExceptionHandler((exception, _) => CliErrors.Handle(exception, verbose || CliSession.Verbose, args));
    config.AddCommand<RunCommand>("run")
        .WithDescription("Run the service (RabbitMQ + PostgreSQL when configured, else in-memory bus + SQLite) with its HTTP surface.");
    config.AddCommand<StatusCommand>("status")
        .WithDescription("Environments and recent jobs; --environment for one environment's history; --watch to follow live.");
    config.AddCommand<JobCommand>("job")
        .WithDescription("One job: each check's verdict, duration and detail, the error and the redacted playbook output.");
    config.AddCommand<PublishMutationCommand>("publish-mutation")
        .WithDescription("Publish a MutationCompleted event; --wait follows the gate step by step.");
    config.AddCommand<ResetEnvironmentCommand>("reset-environment")
        .WithDescription("Return a failed environment to active (recorded with who and why).");
    config.AddCommand<MigrateCommand>("migrate")
        .WithDescription("Apply the ledger's database migrations.");
    config.AddCommand<DemoCommand>("demo")
        .WithDescription("A failing deploy checked, rolled back and re-checked on this machine (in-memory bus, SQLite, real Ansible).");
    config.AddCommand<SchemasCommand>("schemas")
        .WithDescription("Write the JSON Schemas of the public contracts (docs/contracts).")
        .IsHidden();
    config.AddCommand<StateDiagramCommand>("state-diagram")
        .WithDescription("Redraw the state diagram in docs/state-machines.md from the state machine.")
        .IsHidden();
});
return await app.RunAsync(args);
